import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SETTINGS, SETTING_NAMES } from '.'
import { GENERATED_BLOCKS, renderReadmeTable, withBlock } from './docs'

// The README's configuration table and docs/configuration.md's reference are rendered from the settings
// table by `npm run docs:settings`. These fail when a file differs from what the table renders: after adding
// or changing a setting, run that script instead of editing the tables by hand.
const root = join(__dirname, '..', '..', '..', '..')

describe('settings documentation', () => {
  for (const block of GENERATED_BLOCKS) {
    it(`${block.file} holds the table rendered from settings.ts (run npm run docs:settings)`, () => {
      const text = readFileSync(join(root, block.file), 'utf8')
      const rendered = withBlock(text, block)
      expect(rendered, `${block.file} lacks the markers ${block.begin} … ${block.end}`).not.toBeNull()
      expect(text, `${block.file} is out of date: run npm run docs:settings`).toBe(rendered)
    })
  }

  it('the README table lists every setting once, with its default and its flags', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const rows = new Map([...readme.matchAll(/^\| `(STARPUNK_\w+)` \| (`?)(.*?)\2 \| (.*) \|$/gm)].map((m) => [m[1] as string, { default: m[3], meaning: m[4] as string }]))
    expect([...rows.keys()]).toEqual(SETTING_NAMES)
    for (const name of SETTING_NAMES) {
      expect(rows.get(name)?.default, name).toBe(SETTINGS[name].defaultText)
      expect(rows.get(name)?.meaning.includes('*Environment only:'), name).toBe(SETTINGS[name].envOnly)
      expect(rows.get(name)?.meaning.includes('*Secret:'), name).toBe(SETTINGS[name].secret)
    }
  })

  it('a table cell cannot be broken by a pipe in a description', () => {
    expect(renderReadmeTable().split('\n').every((line) => line.replace(/\\\|/g, '').split('|').length === 5)).toBe(true)
  })
})
