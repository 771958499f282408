// `npm run export-site -- <folder> [--base-url URL]`: the whole public site as static files, rendered by the
// server's own routes, with the same configuration (STARPUNK_DATA_DIR...) as `npm run serve`. Safe while the
// server runs (it reads the same database, like export-notes); a re-run rewrites only what changed.
import { resolve } from 'node:path'
import { httpUrl } from './server/config/parsers'
import { openMedia } from './server/media'
import { createSiteExporter, siteInventory } from './server/site-export'
import { openSiteRenderer, SITE_EXPORT_FILES } from './server/site-export-app'
import { errorLine, openScriptCore, runScript } from './script-support'

const USAGE = 'Usage: npm run export-site -- <folder> [--base-url https://notes.example.com]'

function parseArgs(args: string[]): { dir: string; baseUrl: string | null } | { error: string } {
  let dir: string | null = null
  let baseUrl: string | null = null
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!
    if (arg === '--base-url' || arg.startsWith('--base-url=')) {
      const value = arg === '--base-url' ? args[++i] : arg.slice('--base-url='.length)
      if (!value) return { error: '--base-url needs a URL' }
      const parsed = httpUrl(value)
      if (!parsed.ok) return { error: `--base-url ${parsed.reason}` }
      baseUrl = parsed.value
    } else if (arg.startsWith('-')) return { error: `unknown option ${arg}` }
    else if (dir === null) dir = arg
    else return { error: `one folder only (got ${dir} and ${arg})` }
  }
  if (dir === null) return { error: 'name the folder to write' }
  return { dir: resolve(dir), baseUrl }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  if ('error' in args) {
    console.error(`${args.error}\n${USAGE}`)
    return 2
  }
  const opened = await openScriptCore()
  if (!opened) return 1
  const { config, core } = opened
  const { db, notes, search, logger } = core
  // Only reads media (media.start() would tidy the upload folder under a running server's feet).
  const media = openMedia({ config, db, logger, siteBase: () => config.siteUrl })
  try {
    const exporter = createSiteExporter({
      inventory: siteInventory(notes, media),
      openRenderer: (baseUrl) => openSiteRenderer({ config, db, notes, media, search, pages: notes, logger }, baseUrl),
      siteUrl: () => config.siteUrl,
      files: SITE_EXPORT_FILES,
      logger,
    })
    let shown = 0
    const report = await exporter.export({
      dir: args.dir,
      baseUrl: args.baseUrl ?? config.siteUrl,
      onProgress: (progress) => {
        // A line per 500 files on a large blog; nothing for a small one.
        if (process.stderr.isTTY && progress.done - shown >= 500) {
          shown = progress.done
          process.stderr.write(`  ${progress.done} / ${progress.total} files…\n`)
        }
      },
    })
    console.log(
      `Exported ${report.files} files to ${args.dir} for ${args.baseUrl ?? config.siteUrl}: ${report.written.length} written, ${report.unchanged} unchanged, ${report.removed.length} removed, ${report.gone} gone page(s), in ${report.durationMs} ms.`,
    )
    for (const skipped of report.skipped) if (skipped.status !== 404) console.error(`Skipped ${skipped.path} (status ${skipped.status})`)
    return 0
  } catch (err) {
    console.error(errorLine(err))
    return 1
  } finally {
    await media.close()
    await core.close()
  }
}

runScript(main)
