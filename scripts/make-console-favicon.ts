// The console's favicon (src/renderer/public/favicon.ico, copied into the build by Vite): the site's built-in
// icon, linked relatively so it loads both at app://console/ (desktop) and /admin/console/ (browser).
// Regenerate after changing DEFAULT_ICON_SVG: `npx tsx --tsconfig tsconfig.node.json scripts/make-console-favicon.ts`.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeIco, makeIconSet } from '../src/main/server/images/icons'

const set = await makeIconSet(null)
const target = join(import.meta.dirname, '..', 'src', 'renderer', 'public', 'favicon.ico')
writeFileSync(target, encodeIco(set.ico))
console.log(`wrote ${target}`)
