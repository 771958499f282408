// `npm run backup -- [FILE]` and `npm run restore -- FILE DATA_DIR [--replace]`. The backup uses the same
// configuration (STARPUNK_DATA_DIR...) as `npm run serve` and is safe while the server runs; restoring
// writes a new data directory and needs no configuration. Failures print the catalog's words, no stack.
import type { ErrorInfo } from '../shared/errors'
import { createBackup, createBackupService, restoreBackup, type DataLayout } from './server/backup'
import { loadConfig, type Config } from './server/config'
import { AppError, toAppError } from './server/errors'
import type { Logger } from './server/logging'
import { VERSION } from './server/version'
import { errorLine, runScript } from './script-support'

const USAGE = `Usage:
  npm run backup -- FILE                       Write one archive (mode 0600) of the data directory to FILE.
  npm run backup                               Write it into <data dir>/backups, keeping STARPUNK_BACKUP_KEEP.
  npm run restore -- FILE DATA_DIR [--replace] Restore an archive into a new or empty DATA_DIR
                                               (--replace: move a non-empty DATA_DIR aside first).`

function printProblem(problem: ErrorInfo): void {
  const lines = [`[${problem.code}] ${problem.message}`, `What to do: ${problem.suggestion}`]
  if (problem.details) lines.push(`Details: ${problem.details}`)
  problem.troubleshooting.forEach((step, i) => lines.push(`  ${i + 1}) ${step}`))
  console.error(lines.join('\n'))
}

const layoutOf = (config: Config): DataLayout => ({ dataDir: config.dataDir, databasePath: config.databasePath, mediaDir: config.mediaDir, nativeBinding: config.db.nativeBinding })

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

async function backup(args: string[]): Promise<number> {
  const [file, ...rest] = args
  if (rest.length > 0 || file?.startsWith('-')) {
    console.error(USAGE)
    return 2
  }
  // persist: false: reading the configuration creates nothing (not even a data dir that is not there).
  const { config, problems } = loadConfig({ persist: false })
  if (problems.length > 0) {
    for (const problem of problems) printProblem(problem)
    return 1
  }
  const layout = layoutOf(config)
  if (file) {
    const result = await createBackup({ layout, file, appVersion: VERSION })
    console.log(`Backed up ${config.dataDir} to ${result.file} (${result.files} files, ${megabytes(result.bytes)}).`)
    return 0
  }
  const service = createBackupService({ layout, keep: config.backup.keep, appVersion: VERSION, logger: silentLogger() })
  const info = await service.runNow()
  console.log(`Backed up ${config.dataDir} to backups/${info.file} (${megabytes(info.bytes)}; the newest ${config.backup.keep} are kept).`)
  return 0
}

async function restore(args: string[]): Promise<number> {
  const replace = args.includes('--replace')
  const positional = args.filter((a) => a !== '--replace')
  const [file, dataDir] = positional
  if (!file || !dataDir || positional.length > 2 || positional.some((a) => a.startsWith('-'))) {
    console.error(USAGE)
    return 2
  }
  const result = await restoreBackup({ file, dataDir, replace, nativeBinding: process.env.STARPUNK_SQLITE_NATIVE_BINDING || null })
  console.log(`Restored the backup of ${result.createdAt} (StarPunk ${result.appVersion || 'unknown'}, ${result.files} files) into ${result.dataDir}.`)
  if (result.movedAside) console.log(`What was in ${result.dataDir} before is now in ${result.movedAside}.`)
  if (result.sessionSecret === 'environment') console.log('The session secret was set by STARPUNK_SESSION_SECRET when this backup was made: set it again for the restored blog.')
  console.log(`Start it with: STARPUNK_DATA_DIR=${result.dataDir} npm run serve`)
  return 0
}

/** The CLI's own output is its summary; the service's log lines would only repeat it. */
function silentLogger(): Logger {
  const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, critical: () => {}, child: () => logger, isLevelEnabled: () => false }
  return logger
}

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2)
  try {
    if (command === 'backup') return await backup(args)
    if (command === 'restore') return await restore(args)
    console.error(USAGE)
    return 2
  } catch (err) {
    // Not from the catalog: say what failed in one line (never a stack).
    const info = toAppError(err).info
    printProblem(err instanceof AppError ? info : { ...info, details: errorLine(err) })
    return 1
  }
}

runScript(main)
