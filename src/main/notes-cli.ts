// `npm run export-notes -- <folder>` / `npm run import-notes -- <folder>`: notes as Markdown files with
// front matter, using the same configuration (STARPUNK_DATA_DIR...) as `npm run serve`.
import { exportNotes, importNotes } from './server/notes'
import { createOutbound } from './server/outbound'
import { listeningUrlOf, siteBaseFor } from './server/site'
import { createWebmentionSender, mentionsPortable, outboxHook } from './server/webmention'
import { errorLine, openScriptCore, runScript } from './script-support'

const USAGE = 'Usage: npm run export-notes -- <folder>   |   npm run import-notes -- <folder> [--send-webmentions]'

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const send = args.includes('--send-webmentions')
  const [command, folder, ...rest] = args.filter((arg) => arg !== '--send-webmentions')
  if ((command !== 'export' && command !== 'import') || !folder || rest.length > 0 || (send && command !== 'import')) {
    console.error(USAGE)
    return 2
  }
  const opened = await openScriptCore()
  if (!opened) return 1
  const { config, core } = opened
  const { notes, logger, db } = core
  // Received Webmentions travel with their notes (front matter `webmentions:`).
  const mentions = mentionsPortable(db, (html) => notes.sanitizeHtml(html))
  try {
    if (command === 'export') {
      const result = await exportNotes(notes, folder, logger, mentions)
      console.log(`Exported ${result.count} note(s) to ${result.dir}`)
      return 0
    }
    if (send) {
      // Only when asked: the imported notes' Webmentions go into the outbox, which the running server (or
      // the next `npm run serve`) sends. Nothing is fetched or sent from here.
      const sender = createWebmentionSender({
        db,
        outbound: createOutbound({ enabled: false, allowPrivate: false, userAgent: 'StarPunk' }),
        logger,
        noteUrl: () => null,
      })
      const siteBase = siteBaseFor(config.siteUrl, listeningUrlOf(config.host, config.port))
      notes.onWrite(outboxHook(sender, () => siteBase))
    }
    const result = await importNotes(notes, folder, logger, mentions)
    console.log(
      `Imported from ${folder}: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged` +
        `${result.mentions ? `, ${result.mentions} received Webmention(s)` : ''}${send ? '; Webmentions queued for the server to send' : ''}.`,
    )
    for (const problem of result.problems) console.error(`Skipped ${problem.file}: ${problem.message}`)
    return result.problems.length > 0 ? 1 : 0
  } catch (err) {
    console.error(errorLine(err))
    return 1
  } finally {
    await core.close()
  }
}

runScript(main)
