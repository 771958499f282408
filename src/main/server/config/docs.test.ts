import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SETTINGS, SETTING_NAMES } from '.'

// The README's configuration table is the operator's reference: it must list every setting the code reads,
// with the same default, and nothing the code does not know.
const readme = readFileSync(join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8')
const section = readme.slice(readme.indexOf('## Configuration'))
const rows = new Map(
  [...section.matchAll(/^\| `(STARPUNK_\w+)` \| (.*?) \| /gm)].map((m) => [m[1] as string, (m[2] as string).replace(/\\\|/g, '|')]),
)

describe('README configuration table', () => {
  it('lists every setting with its default', () => {
    for (const name of SETTING_NAMES) {
      expect(rows.has(name), `${name} missing from README`).toBe(true)
      expect(rows.get(name), name).toBe(SETTINGS[name].defaultText)
    }
  })

  it('lists nothing the code does not read', () => {
    for (const name of rows.keys()) expect(SETTING_NAMES as string[]).toContain(name)
  })
})
