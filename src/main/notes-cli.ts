// `npm run export-notes -- <folder>` / `npm run import-notes -- <folder>`: notes as Markdown files with
// front matter, using the same configuration (STARPUNK_DATA_DIR...) as `npm run serve`.
import { loadConfig } from './server/config'
import { createCore } from './server/core'
import { exportNotes, importNotes } from './server/notes'

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
  // Logs go to the data dir's log files only; this command's own output is the summary below. The core is
  // the server's own: the search index is kept in the same write transactions as the notes.
  const core = await createCore(config, { logging: { write: () => {} } })
  const { notes, logger } = core
  try {
    if (command === 'export') {
      const result = await exportNotes(notes, folder, logger)
      console.log(`Exported ${result.count} note(s) to ${result.dir}`)
      return 0
    }
    const result = await importNotes(notes, folder, logger)
    console.log(`Imported from ${folder}: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged.`)
    for (const problem of result.problems) console.error(`Skipped ${problem.file}: ${problem.message}`)
    return result.problems.length > 0 ? 1 : 0
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err))
    return 1
  } finally {
    await core.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err))
    process.exit(1)
  },
)
