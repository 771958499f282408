import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openMetricsHistory } from './store'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../../../../..')
const CHILD = join(here, '..', 'test-support', 'history-child.ts')
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
const MIN = 60_000

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'starpunk-metrics-kill-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('kill -9', () => {
  it('history committed before SIGKILL is there after a restart; the time the app was dead is a gap, not zeros', async () => {
    const path = join(dir, 'metrics.db')
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(T0)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    await new Promise<void>((ready, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('flushed')) ready()
      })
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before flushing: ${stderr}`)))
    })
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited

    const now = T0 + 10 * MIN
    const history = openMetricsHistory({ path, clock: () => now })
    try {
      expect(history.traffic({ from: T0, to: T0 + 3 * MIN, stepMs: MIN }).buckets.map((b) => b.total?.requests ?? null)).toEqual([6, null, null])
      expect(history.openIncidents().map((i) => i.component).sort()).toEqual(['filesystem', 'overall'])
      const u = history.uptime({ from: T0, to: now, component: 'filesystem' }).filesystem!
      expect(u).toMatchObject({ upMs: 0, downMs: 30_000, noDataMs: 10 * MIN - 30_000 })
    } finally {
      history.close()
    }
  })
})
