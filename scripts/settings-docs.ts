/**
 * `npm run docs:settings`: rewrite the settings tables in README.md and docs/configuration.md from the
 * settings table (src/main/server/config/settings.ts). Run it after adding or changing a setting;
 * src/main/server/config/docs.test.ts fails until you do.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GENERATED_BLOCKS, withBlock } from '../src/main/server/config/docs'

const root = fileURLToPath(new URL('..', import.meta.url))
let failed = false
for (const block of GENERATED_BLOCKS) {
  const path = join(root, block.file)
  const before = readFileSync(path, 'utf8')
  const after = withBlock(before, block)
  if (after === null) {
    process.stderr.write(`${block.file}: markers not found; put these two lines where the table belongs:\n${block.begin}\n${block.end}\n`)
    failed = true
    continue
  }
  if (after !== before) writeFileSync(path, after)
  process.stdout.write(`${block.file}: ${after === before ? 'already up to date' : 'updated'}\n`)
}
process.exitCode = failed ? 1 : 0
