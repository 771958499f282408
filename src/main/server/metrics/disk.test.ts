import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diskCheck, measureDisk, type DiskPaths } from './disk'

let dir: string
let paths: DiskPaths

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'starpunk-metrics-disk-'))
  paths = { dataDir: dir, databasePath: join(dir, 'starpunk.db'), mediaDir: join(dir, 'media'), logDir: join(dir, 'logs'), historyPath: join(dir, 'metrics.db') }
  writeFileSync(paths.databasePath, Buffer.alloc(1000))
  writeFileSync(`${paths.databasePath}-wal`, Buffer.alloc(500))
  mkdirSync(join(paths.mediaDir, '2026', '01'), { recursive: true })
  writeFileSync(join(paths.mediaDir, 'a.jpg'), Buffer.alloc(2000))
  writeFileSync(join(paths.mediaDir, '2026', '01', 'b.png'), Buffer.alloc(3000))
  // A link out of the media dir is not followed (it could lead anywhere on the disk).
  writeFileSync(join(dir, 'outside.bin'), Buffer.alloc(9000))
  symlinkSync(join(dir, 'outside.bin'), join(paths.mediaDir, 'link.bin'))
  mkdirSync(paths.logDir)
  writeFileSync(join(paths.logDir, 'starpunk.log'), Buffer.alloc(700))
  writeFileSync(join(paths.logDir, 'starpunk.log.1'), Buffer.alloc(300))
  writeFileSync(paths.historyPath, Buffer.alloc(400))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('disk usage', () => {
  it('sizes the database (with its WAL), media, logs and history against the free space', async () => {
    const usage = await measureDisk(paths)
    expect(usage).toMatchObject({ databaseBytes: 1500, mediaBytes: 5000, logsBytes: 1000, historyBytes: 400, truncated: false })
    expect(usage.freeBytes).toBeGreaterThan(0)
    expect(usage.totalBytes).toBeGreaterThanOrEqual(usage.freeBytes!)
    expect(usage.usedPercent).toBeGreaterThan(0)
    expect(usage.usedPercent).toBeLessThanOrEqual(100)
  })

  it('counts missing places as empty and has no free space without a data dir', async () => {
    const gone = join(dir, 'gone')
    const usage = await measureDisk({ dataDir: gone, databasePath: join(gone, 'x.db'), mediaDir: join(gone, 'm'), logDir: join(gone, 'l'), historyPath: join(gone, 'h.db') })
    expect(usage).toMatchObject({ databaseBytes: 0, mediaBytes: 0, logsBytes: 0, historyBytes: 0, freeBytes: null, usedPercent: null })
  })

  it('the readiness check warns past STARPUNK_DISK_WARN_PERCENT and passes under it', async () => {
    const seen: number[] = []
    const warn = await diskCheck({ paths, warnPercent: 0, onMeasured: (u) => seen.push(u.mediaBytes) })()
    expect(warn['disk:usage']![0]!.status).toBe('warn')
    expect(warn['disk:usage']![0]!.output).toContain('STARPUNK_DISK_WARN_PERCENT=0')
    expect(warn['disk:starpunk']![0]!.output).toContain('media 0 MiB')
    expect(seen).toEqual([5000])
    const pass = await diskCheck({ paths, warnPercent: 100 })()
    expect(pass['disk:usage']![0]!.status).toBe('pass')
    expect(pass['disk:usage']![0]!.output).toBeUndefined()
    // Never a path in the output.
    expect(JSON.stringify(warn)).not.toContain(dir)
  })
})
