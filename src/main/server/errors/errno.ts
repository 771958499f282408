/**
 * File system failures in the words a person acts on. A leaf module (no imports), so the logging file sink
 * can use it without a cycle through the error handlers.
 */

/**
 * The code an error carries, if any: errno codes of the file system (ENOENT, EACCES...), better-sqlite3's
 * SQLITE_* codes, Node's ERR_* codes. The one place that reads `err.code` from an unknown value.
 */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * What a failed `mkdir -p` means: it says EEXIST when a file sits where the directory should be, and
 * ENOTDIR is what a person needs to hear. Other failures pass through.
 */
export function mkdirFailure(err: unknown): unknown {
  return errnoCode(err) === 'EEXIST' ? Object.assign(new Error('not a directory', { cause: err }), { code: 'ENOTDIR' }) : err
}
