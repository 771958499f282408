import { loadConfig, type Config } from './server/config'
import { createCore, type Core } from './server/core'

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

/**
 * The configuration and the server's own core (the same database, search index and write transactions as
 * `npm run serve`) for a script, or null after printing the configuration's problems. Logs go to the data
 * dir's log files only: a script's own output is its summary.
 */
export async function openScriptCore(): Promise<{ config: Config; core: Core } | null> {
  const { config, problems } = loadConfig()
  if (problems.length > 0) {
    for (const problem of problems) console.error(`Configuration problem: ${problem.message}`)
    return null
  }
  return { config, core: await createCore(config, { logging: { write: () => {} } }) }
}
