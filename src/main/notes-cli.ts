// `npm run export-notes -- <folder>` / `npm run import-notes -- <folder>`: notes as Markdown files with
// front matter, using the same configuration (STARPUNK_DATA_DIR...) as `npm run serve`.
import { createLogging } from './server/logging'
import { loadConfig } from './server/config'
import { openDb } from './server/db'
import { createHealthService } from './server/health'
import { createNoteRenderer, createNotesService, exportNotes, importNotes } from './server/notes'
import { createSearchService } from './server/search'
import { VERSION } from './server/version'

const USAGE = 'Usage: npm run export-notes -- <folder>   |   npm run import-notes -- <folder>'

async function main(): Promise<number> {
  const [command, folder] = process.argv.slice(2)
  if ((command !== 'export' && command !== 'import') || !folder) {
    console.error(USAGE)
    return 2
  }
  const { config, problems } = loadConfig()
  if (problems.length > 0) {
    for (const problem of problems) console.error(`Configuration problem: ${problem.message}`)
    return 1
  }
  // Logs go to the data dir's log files only; this command's own output is the summary below.
  const logging = createLogging(config, { write: () => {} })
  const db = await openDb({ path: config.databasePath, db: config.db, logger: logging.logger.child({ component: 'db' }) })
  const renderer = createNoteRenderer({ logger: logging.logger })
  const notes = createNotesService({ db, logger: logging.logger, config, renderer })
  // The search index is kept in the same write transactions as the notes, exactly as in the server.
  const search = createSearchService({ db, notes, config, logger: logging.logger, health: createHealthService({ version: VERSION, startedAt: Date.now() }) })
  try {
    if (command === 'export') {
      const result = await exportNotes(notes, folder, logging.logger)
      console.log(`Exported ${result.count} note(s) to ${result.dir}`)
      return 0
    }
    const result = await importNotes(notes, folder, logging.logger)
    console.log(`Imported from ${folder}: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged.`)
    for (const problem of result.problems) console.error(`Skipped ${problem.file}: ${problem.message}`)
    return result.problems.length > 0 ? 1 : 0
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err))
    return 1
  } finally {
    search.dispose()
    await renderer.close()
    await db.close()
    await logging.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err))
    process.exit(1)
  },
)
