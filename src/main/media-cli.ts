// `npm run reprocess-media`: run every upload from before the image pipeline through it once (metadata
// removed, turned upright, variants made), with the same configuration (STARPUNK_DATA_DIR...) as
// `npm run serve`. The server does the same in the background at start-up; this is for doing it now.
import { openMedia } from './server/media'
import { errorLine, openScriptCore, runScript } from './script-support'

async function main(): Promise<number> {
  const opened = await openScriptCore()
  if (!opened) return 1
  const { config, core } = opened
  // URLs are not needed to reprocess; the site's own address keeps them right if anything logs one.
  const media = openMedia({ config, db: core.db, logger: core.logger, siteBase: () => config.siteUrl || 'http://127.0.0.1' })
  try {
    const result = await media.reprocessAll((p) => console.log(`Reprocessed ${p.done} of ${p.total} upload(s)${p.refused ? ` (${p.refused} refused)` : ''}`))
    if (result.total === 0) console.log('Every upload is already processed.')
    else console.log(`Done: ${result.done - result.refused - result.failed} cleaned, ${result.refused} refused (never served), ${result.failed} failed (see the log).`)
    return result.done < result.total || result.failed > 0 ? 1 : 0
  } catch (err) {
    console.error(errorLine(err))
    return 1
  } finally {
    await media.close()
    await core.close()
  }
}

runScript(main)
