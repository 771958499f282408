import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { outsideAsar } from './module-path'

describe('reader threads load better-sqlite3 from outside the asar archive', () => {
  const root = mkdtempSync(join(tmpdir(), 'starpunk-asar-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  const inArchive = join(root, 'resources', 'app.asar', 'node_modules', 'better-sqlite3', 'lib', 'index.js')
  const unpacked = join(root, 'resources', 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'lib', 'index.js')

  it('uses the unpacked copy when packaging put one there', () => {
    mkdirSync(join(unpacked, '..'), { recursive: true })
    writeFileSync(unpacked, '')
    expect(outsideAsar(inArchive, existsSync)).toBe(unpacked)
  })

  it('keeps the archive path when nothing was unpacked (the load error then names the real path)', () => {
    const other = join(root, 'resources', 'app.asar', 'node_modules', 'other', 'index.js')
    expect(outsideAsar(other, existsSync)).toBe(other)
  })

  it('leaves paths outside any archive alone, including names that only look alike', () => {
    for (const path of ['/srv/app/node_modules/better-sqlite3/lib/index.js', '/srv/my-app.asar-tools/index.js', 'better-sqlite3', 'C:\\StarPunk\\resources\\app.asarx\\index.js']) {
      expect(outsideAsar(path, () => true)).toBe(path)
    }
  })

  it('handles Windows separators', () => {
    expect(outsideAsar('C:\\StarPunk\\resources\\app.asar\\node_modules\\better-sqlite3\\lib\\index.js', () => true)).toBe(
      'C:\\StarPunk\\resources\\app.asar.unpacked\\node_modules\\better-sqlite3\\lib\\index.js',
    )
  })
})
