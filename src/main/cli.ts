/**
 * The headless entry: `npm run serve` starts the blog server without Electron; `npm run check-config`
 * validates the configuration without starting anything. Problems are printed for people (message,
 * what to do, numbered troubleshooting steps), never as stack traces.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ErrorInfo } from '../shared/errors'
import { createServer, loadConfig, type StarpunkServer } from './server'
import { SETTING_NAMES, type Config, type LoadedConfig } from './server/config'
import { AppError, errorInfo } from './server/errors'
import { errnoCode } from './server/errors/errno'
import { VERSION } from './server/version'

const USAGE = `StarPunk ${VERSION}

Usage:
  starpunk serve          Start the blog server (default). Ctrl-C stops it gracefully.
  starpunk check-config   Validate the configuration and print it, without starting.
  starpunk help           Show this help.

Every setting is a STARPUNK_* environment variable, or a key in <data dir>/config.json.
See README.md (Configuration) and docs/configuration.md.
`

type Out = (text: string) => void
const stdout: Out = (text) => process.stdout.write(text + '\n')
const stderr: Out = (text) => process.stderr.write(text + '\n')

/** One problem, as a person reads it in a terminal. */
function formatProblem(problem: ErrorInfo, index: number, total: number): string {
  const lines = [`${total > 1 ? `${index + 1}. ` : ''}[${problem.code}] ${problem.message}`]
  const indent = total > 1 ? '   ' : ''
  lines.push(`${indent}What to do: ${problem.suggestion}`)
  if (problem.details) lines.push(`${indent}Details: ${problem.details}`)
  if (problem.troubleshooting.length > 0) {
    lines.push(`${indent}Troubleshooting:`)
    problem.troubleshooting.forEach((step, i) => lines.push(`${indent}  ${i + 1}) ${step}`))
  }
  return lines.join('\n')
}

function formatProblems(heading: string, problems: ErrorInfo[]): string {
  return [heading, '', ...problems.map((p, i) => formatProblem(p, i, problems.length) + '\n')].join('\n')
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

function printWarnings(loaded: LoadedConfig, out: Out): void {
  if (loaded.warnings.length === 0) return
  out(formatProblems(`Configuration: ${plural(loaded.warnings.length, 'warning')} (not fatal):`, loaded.warnings))
}

function checkConfig(): number {
  const loaded = loadConfig({ persist: false })
  printWarnings(loaded, stderr)
  if (loaded.problems.length > 0) {
    stderr(formatProblems(`Configuration invalid: ${plural(loaded.problems.length, 'problem')}.`, loaded.problems))
    return 1
  }
  stdout('Configuration OK. Effective values (secrets masked):\n')
  const width = Math.max(...SETTING_NAMES.map((n) => n.length))
  for (const field of loaded.fields) {
    const shown = field.value === '' ? '(not set)' : field.value
    stdout(`  ${field.name.padEnd(width)}  ${shown}  [${field.source}]`)
  }
  stdout(`\nConfig file: ${loaded.filePath}`)
  return 0
}

/** Print an error met while starting (port in use, database unreadable...) without a stack trace. */
function printStartupError(err: unknown, config: Config): void {
  const code = errnoCode(err)
  const info =
    err instanceof AppError
      ? err.info
      : code === 'EACCES' || code === 'EPERM'
        ? errorInfo('CONFIG_INVALID', {
            message: `STARPUNK_PORT is ${config.port}: this user is not allowed to listen on it${config.port < 1024 ? ' (ports below 1024 need privileges)' : ''}.`,
            suggestion: 'Choose a port above 1024, such as 8080, and put a reverse proxy in front if the blog must answer on 80/443.',
          })
        : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? errorInfo('CONFIG_INVALID', {
              message: `STARPUNK_HOST is ${JSON.stringify(config.host)}: this machine has no such address.`,
              suggestion: 'Use 127.0.0.1 (this computer only) or an address shown by `ip addr`.',
            })
          : errorInfo('INTERNAL_ERROR', {
              message: 'StarPunk could not start because of an unexpected error.',
              suggestion: 'Look at the log file for the full error, and report it if it persists.',
              // The operator's own terminal: the first line of the cause helps, the stack would not.
              details: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err),
            })
  stderr(formatProblems('StarPunk cannot start:', [info]))
}

async function serve(hooks: CliHooks): Promise<number> {
  const loaded = loadConfig()
  printWarnings(loaded, stderr)
  if (loaded.problems.length > 0) {
    stderr(formatProblems(`StarPunk cannot start: ${plural(loaded.problems.length, 'configuration problem')}.`, loaded.problems))
    return 1
  }
  const { config } = loaded

  let server: StarpunkServer
  try {
    // createServer binds the socket before it opens anything: a port in use is refused here.
    server = await createServer(config)
  } catch (err) {
    printStartupError(err, config)
    return 1
  }
  const logger = server.context.logger
  const logFile = server.context.logging.filePath
  const url = server.url

  // The stop handlers go in before the banner and before anything is awaited: whoever reads the banner may
  // press Ctrl-C at once (a test does, within microseconds), and that must stop gracefully, not hit Node's
  // default handler.
  const exited = new Promise<number>((resolveExit) => {
    let stopping = false
    const stop = (reason: string, code: number) => {
      if (stopping) {
        // A second Ctrl-C: the person wants out now.
        server.context.logging.flush()
        stderr('\nForced exit: in-flight requests were cut.')
        process.exit(130)
      }
      stopping = true
      logger.info('shutting down', { reason })
      if (config.logFormat === 'human') stderr(`\nStopping (${reason}): finishing in-flight requests... (Ctrl-C again to force)`)
      // close() is bounded for connections; this bounds everything else (a stuck disk, a stuck query).
      const guard = setTimeout(() => {
        server.context.logging.flush()
        stderr('Shutdown took too long; exiting anyway.')
        process.exit(1)
      }, 15_000)
      guard.unref()
      server.close().then(
        () => {
          clearTimeout(guard)
          resolveExit(code)
        },
        (err: unknown) => {
          clearTimeout(guard)
          stderr(`Shutdown failed: ${err instanceof Error ? err.message : String(err)}`)
          resolveExit(1)
        },
      )
    }
    process.on('SIGINT', () => stop('SIGINT', 0))
    process.on('SIGTERM', () => stop('SIGTERM', 0))
    process.on('uncaughtException', (err) => {
      logger.critical('uncaught exception', { cause: err })
      stop('uncaught exception', 1)
    })
    process.on('unhandledRejection', (err) => {
      logger.critical('unhandled promise rejection', { cause: err })
      stop('unhandled promise rejection', 1)
    })
  })

  // The one-time admin login link, like a notebook server's token URL. It is a secret: printed to this
  // terminal only, never logged.
  logger.info('StarPunk is running', { version: VERSION, url, siteUrl: config.siteUrl, dataDir: config.dataDir, logFile, configFile: loaded.filePath })
  if (config.logFormat === 'human') {
    server.context.logging.flush() // log lines are batched: let them come before the banner.
    // A short banner for people; with JSON logs the line above says the same to machines.
    stdout(
      [
        '',
        `StarPunk ${VERSION} is running at ${url}`,
        `  site URL:  ${config.siteUrl}`,
        `  data:      ${config.dataDir}`,
        `  logs:      ${logFile ?? `(files off; console only)`}`,
        `  config:    ${loaded.filePath} (optional)`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    )
  }

  try {
    const link = await server.context.auth.issueLoginLink()
    stdout(`Admin sign-in link (works once, expires in 10 minutes):\n  ${link}\n`)
  } catch (err) {
    logger.warn('could not issue the one-time login link', { err })
  }
  hooks.onStarted?.()

  return await exited
}

async function main(argv: string[], hooks: CliHooks): Promise<number> {
  const command = argv[0] ?? 'serve'
  switch (command) {
    case 'serve':
      return serve(hooks)
    case 'check-config':
      return checkConfig()
    case 'help':
    case '--help':
    case '-h':
      stdout(USAGE)
      return 0
    case 'version':
    case '--version':
      stdout(VERSION)
      return 0
    default:
      stderr(`Unknown command "${command}".\n\n${USAGE}`)
      return 2
  }
}

export interface CliHooks {
  /** Called once the server is listening and its sign-in link is printed (the bundle saves its code cache then). */
  onStarted?: () => void
}

/** Runs a command and exits with its status. */
export function runCli(argv: string[], hooks: CliHooks = {}): void {
  void main(argv, hooks).then(
    (code) => process.exit(code),
    (err: unknown) => {
      // Last resort: still no stack trace on the terminal.
      stderr(formatProblems('StarPunk stopped because of an unexpected error:', [errorInfo('INTERNAL_ERROR', { message: err instanceof Error ? err.message.split('\n')[0] ?? 'unknown error' : String(err) })]))
      process.exit(1)
    },
  )
}

// Started directly (`tsx src/main/cli.ts`); the compiled bundle calls runCli() from out/server/cli.mjs.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) runCli(process.argv.slice(2))
