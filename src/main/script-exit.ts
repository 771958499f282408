/** The one line a command-line script prints for an error: its message, never a stack. */
export function errorLine(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Runs a script's main and exits with its status; an error that escapes it is one line and status 1. */
export function runScript(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(errorLine(err))
      process.exit(1)
    },
  )
}
