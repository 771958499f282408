/**
 * Preparing the data directory for a validated configuration: the one place of the loader that touches the
 * disk beyond reading. It probes that the directory takes files, reads or generates the session secret file
 * (tightening a loose mode), and checks that files named by settings exist. With `persist: false`
 * (check-config, validation of edits) it creates and changes nothing.
 */
import { randomBytes } from 'node:crypto'
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { ErrorInfo } from '../../../shared/errors'
import { errorInfo } from '../errors/app-error'
import { errnoCode } from '../errors/errno'
import { SESSION_SECRET_MIN_LENGTH, SETTINGS } from './settings'
import type { Config } from './types'

export const SECRET_FILE_NAME = 'session-secret'

export interface DataDirPreparation {
  /** The secret to sign with: the configured one, the file's, or a fresh one (kept in the file when persisting). */
  sessionSecret: string
  /** The secret came from (or went to) the secret file rather than the configuration. */
  secretGenerated: boolean
  /** The data dir cannot be created or written: reported first, since it explains most of what may follow. */
  dataDirProblem: ErrorInfo | null
  /** Other problems (the secret file, files named by settings). */
  problems: ErrorInfo[]
  warnings: ErrorInfo[]
}

export interface PrepareOptions {
  /** Create the data dir and persist a generated secret. */
  persist: boolean
  /** The configured session secret was refused: no file is read or made for it (startup refuses anyway). */
  secretRejected: boolean
}

const fresh = (): string => randomBytes(48).toString('base64url')

export function prepareDataDir(config: Config, options: PrepareOptions): DataDirPreparation {
  const problems: ErrorInfo[] = []
  const warnings: ErrorInfo[] = []
  const dataDirProblem = checkDataDir(config.dataDir, options.persist)

  let sessionSecret = config.sessionSecret
  let secretGenerated = false
  if (sessionSecret === '' && !options.secretRejected) {
    const kept = persistedSecret(config.dataDir, options.persist && !dataDirProblem)
    sessionSecret = kept.secret
    secretGenerated = true
    if (kept.problem) problems.push(kept.problem)
    if (kept.warning) warnings.push(kept.warning)
  }
  // A rejected secret still leaves something non-empty in config (never used: startup refuses).
  if (sessionSecret === '') sessionSecret = fresh()

  if (config.db.nativeBinding && !existsSync(config.db.nativeBinding)) {
    problems.push(
      errorInfo('CONFIG_INVALID', {
        message: `STARPUNK_SQLITE_NATIVE_BINDING names a file that does not exist.`,
        suggestion: SETTINGS.STARPUNK_SQLITE_NATIVE_BINDING.suggestion,
        details: `File: ${config.db.nativeBinding}`,
      }),
    )
  }
  return { sessionSecret, secretGenerated, dataDirProblem, problems, warnings }
}

/** The data dir must exist (or be creatable) and take a file. Root ignores permissions, so we probe. */
function checkDataDir(dataDir: string, persist: boolean): ErrorInfo | null {
  const problem = (why: string) =>
    errorInfo('DATA_DIR_NOT_WRITABLE', {
      message: `The data directory is not writable: ${why}.`,
      details: `Data directory: ${dataDir} (STARPUNK_DATA_DIR).`,
    })
  try {
    if (persist) {
      mkdirSync(dataDir, { recursive: true })
      const probe = join(dataDir, `.write-test-${process.pid}-${randomBytes(4).toString('hex')}`)
      writeFileSync(probe, '')
      unlinkSync(probe)
      return null
    }
    // Without persisting: the dir, or its nearest existing ancestor, must be a writable directory.
    let dir = dataDir
    while (!existsSync(dir)) {
      const parent = dirname(dir)
      if (parent === dir) break
      dir = parent
    }
    if (!statSync(dir).isDirectory()) return problem(`${dir === dataDir ? 'it' : 'a parent'} is a file, not a directory`)
    accessSync(dir, constants.W_OK)
    return null
  } catch (err) {
    const code = errnoCode(err)
    const why =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'it or one of its parents is a file, not a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EROFS'
            ? 'the file system is read-only'
            : code === 'ENOSPC'
              ? 'the disk is full'
              : `the system reported ${code ?? 'an error'}`
    return problem(why)
  }
}

interface SecretResult {
  secret: string
  problem: ErrorInfo | null
  warning: ErrorInfo | null
}

/** The session secret: generated once, kept in `<dataDir>/session-secret` (0600) so sessions survive restarts. */
function persistedSecret(dataDir: string, persist: boolean): SecretResult {
  const file = join(dataDir, SECRET_FILE_NAME)
  const read = (): SecretResult | null => {
    let text: string
    try {
      text = readFileSync(file, 'utf8').trim()
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null
      throw err
    }
    let warning: ErrorInfo | null = null
    if (persist && process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
      chmodSync(file, 0o600)
      warning = errorInfo('CONFIG_WARNING', {
        message: `The session secret file was readable by other users; its permissions were reset to 0600.`,
        suggestion: 'Check who else could have read it; delete it to generate a new secret (this signs everyone out).',
        details: `File: ${file}`,
      })
    }
    if (text.length < SESSION_SECRET_MIN_LENGTH) {
      return {
        secret: text,
        warning,
        problem: errorInfo('CONFIG_INVALID', {
          message: `The generated session secret file is damaged (only ${text.length} characters).`,
          suggestion: `Delete ${SECRET_FILE_NAME} in the data directory; a new one is generated at the next start (this signs everyone out).`,
          details: `File: ${file}`,
        }),
      }
    }
    return { secret: text, problem: null, warning }
  }
  try {
    const existing = read()
    if (existing) return existing
    const secret = fresh()
    if (!persist) return { secret, problem: null, warning: null }
    try {
      // 'wx': two processes starting at once must not overwrite each other's secret.
      writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' })
      return { secret, problem: null, warning: null }
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') {
        const raced = read()
        if (raced) return raced
      }
      throw err
    }
  } catch (err) {
    return {
      secret: fresh(),
      warning: null,
      problem: errorInfo('DATA_DIR_NOT_WRITABLE', {
        message: `The session secret cannot be kept in the data directory (${errnoCode(err) ?? 'error'}).`,
        details: `File: ${file}`,
      }),
    }
  }
}
