// Health endpoints on a whole real server: liveness, readiness, who sees the detailed form, and
// real faults on real files (the data directory replaced by a file; the database file moved away;
// the database closed) that readiness must report by component and recover from.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createServer, loadConfig, type StarpunkServer } from '../src/main/server'
import type { HealthReport } from '../src/shared/contract'
import { loginAsAdmin } from './helpers/admin'
import { parsedLogs, startTestServer, type TestServer } from './helpers/server'

const TOKEN = 'health-monitor-token-0123456789abcdef'

let running: TestServer | null = null
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  await running?.close()
  running = null
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(env: Record<string, string> = {}): Promise<TestServer> {
  running = await startTestServer(env)
  return running
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; body: HealthReport & { time?: string } }> {
  const res = await fetch(url, { headers })
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as HealthReport & { time?: string } }
}

function failing(report: HealthReport): string[] {
  return Object.entries(report.checks ?? {})
    .filter(([, list]) => list.some((c) => c.status === 'fail'))
    .map(([key]) => key)
}

describe('GET /health (liveness)', () => {
  it('answers 200 application/health+json with status and time, without touching the database', async () => {
    const ts = await start()
    const live = await getJson(`${ts.url}/health`)
    expect(live.status).toBe(200)
    expect(live.type).toMatch(/^application\/health\+json/)
    expect(live.body.status).toBe('pass')
    expect(Number.isNaN(Date.parse(live.body.time ?? ''))).toBe(false)
    // With the database closed, liveness still passes (it never queries) while readiness fails.
    await ts.server.context.db.close()
    expect((await getJson(`${ts.url}/health`)).status).toBe(200)
    const ready = await getJson(`${ts.url}/health/ready`, { authorization: `Bearer ${TOKEN}` })
    expect(ready.status).toBe(503)
  })

  it('is never cached', async () => {
    const ts = await start()
    const res = await fetch(`${ts.url}/health/ready`)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })
})

describe('GET /health/ready (readiness)', () => {
  it('gives anonymous callers only the status', async () => {
    const ts = await start({ STARPUNK_HEALTH_TOKEN: TOKEN })
    const ready = await getJson(`${ts.url}/health/ready`)
    expect(ready.status).toBe(200)
    expect(ready.type).toMatch(/^application\/health\+json/)
    expect(ready.body).toEqual({ status: 'pass' })
    // A wrong token is treated as none: basic form, nothing revealed.
    const wrong = await getJson(`${ts.url}/health/ready`, { authorization: `Bearer ${TOKEN}x` })
    expect(wrong.body).toEqual({ status: 'pass' })
  })

  it('gives the detailed IETF form to the monitor token: database, filesystem, memory, search; version and uptime', async () => {
    const ts = await start({ STARPUNK_HEALTH_TOKEN: TOKEN })
    const { status, body } = await getJson(`${ts.url}/health/ready`, { authorization: `Bearer ${TOKEN}` })
    expect(status).toBe(200)
    expect(body.status).toBe('pass')
    expect(body.version).toBe(ts.server.context.version)
    expect(typeof body.uptimeSeconds).toBe('number')
    const checks = body.checks ?? {}
    for (const key of ['database:responseTime', 'database:connections', 'database:file', 'filesystem:writable', 'memory:rss', 'search:engine']) {
      expect(checks[key], key).toBeDefined()
      for (const check of checks[key] ?? []) {
        // A fresh server on a healthy disk: every component passes (the overall status is the worst one).
        expect(check.status, key).toBe('pass')
        expect(Number.isNaN(Date.parse(check.time))).toBe(false)
      }
    }
    expect(checks['database:responseTime']?.[0]).toMatchObject({ componentType: 'datastore', observedUnit: 'ms', status: 'pass' })
    // Checks run side by side (search holds a reader too), so at most the whole pool is active.
    // The pool is sized to the machine (2 to 4 readers) unless STARPUNK_DB_POOL_SIZE says otherwise.
    const poolSize = ts.server.context.config.db.poolSize
    expect(checks['database:connections']?.[0]?.observedValue).toBeLessThanOrEqual(poolSize)
    expect(checks['database:connections']?.[0]?.output).toMatch(new RegExp(`idle of ${poolSize}; 0 waiting`))
    expect(checks['filesystem:writable']?.[0]).toMatchObject({ observedValue: true, status: 'pass' })
    expect(checks['memory:rss']?.[0]).toMatchObject({ observedUnit: 'MiB', status: 'pass' })
    // The bundled SQLite has FTS5 (the LIKE fallback would warn, and the overall status would not be pass).
    expect(checks['search:engine']?.[0]?.observedValue).toBe('fts5')
    // The probe file was removed again.
    const { readdirSync } = await import('node:fs')
    expect(readdirSync(ts.dataDir).filter((f) => f.startsWith('.health-probe'))).toEqual([])
    // The last report is kept for the console.
    expect(ts.server.context.health.last()?.checks?.['database:responseTime']).toBeDefined()
  })

  it('gives the detailed form to everyone with STARPUNK_HEALTH_CHECK_DETAILED=true', async () => {
    const ts = await start({ STARPUNK_HEALTH_CHECK_DETAILED: 'true' })
    const { body } = await getJson(`${ts.url}/health/ready`)
    expect(body.checks?.['database:responseTime']).toBeDefined()
  })

  it('gives the detailed form to an admin session, and not to a forged cookie', async () => {
    const ts = await start()
    const admin = await loginAsAdmin(ts)
    const withSession = await getJson(`${ts.url}/health/ready`, { cookie: admin.cookie })
    expect(withSession.body.checks?.['database:responseTime']).toBeDefined()
    const forged = await getJson(`${ts.url}/health/ready`, { cookie: 'starpunk_session=not-a-real-session-token' })
    expect(forged.body).toEqual({ status: 'pass' })
  })

  it('warns (200) when memory is above the threshold, and says so', async () => {
    const ts = await start({ STARPUNK_MEMORY_THRESHOLD_MB: '16', STARPUNK_HEALTH_TOKEN: TOKEN })
    const { status, body } = await getJson(`${ts.url}/health/ready`, { authorization: `Bearer ${TOKEN}` })
    expect(status).toBe(200)
    expect(body.status).toBe('warn')
    expect(body.checks?.['memory:rss']?.[0]?.status).toBe('warn')
    expect(body.checks?.['memory:rss']?.[0]?.output).toContain('STARPUNK_MEMORY_THRESHOLD_MB')
  })

  it('fails (503) naming the database when the database is closed, without leaking paths or SQL', async () => {
    const ts = await start({ STARPUNK_HEALTH_TOKEN: TOKEN })
    await ts.server.context.db.close()
    const res = await fetch(`${ts.url}/health/ready`, { authorization: `Bearer ${TOKEN}` } as RequestInit)
    const text = await (await fetch(`${ts.url}/health/ready`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
    expect(res.status).toBe(503)
    const body = JSON.parse(text) as HealthReport
    expect(body.status).toBe('fail')
    // Search queries the database too and may fail with it; the filesystem is fine.
    expect(failing(body)).toContain('database:responseTime')
    expect(failing(body)).not.toContain('filesystem:writable')
    expect(text).not.toContain(ts.dataDir)
    expect(text).not.toMatch(/SELECT|schema_migrations/i)
  })
})

describe('readiness under real faults, and recovery', () => {
  /** A server whose database lives outside the data directory, so each fault hits one component only. */
  async function startSplit(): Promise<{ server: StarpunkServer; url: string; dataDir: string; dbPath: string; lines: string[] }> {
    const root = mkdtempSync(join(tmpdir(), 'starpunk-health-faults-'))
    cleanups.push(() => rmSync(root, { recursive: true, force: true }))
    const dataDir = join(root, 'data')
    const dbDir = join(root, 'db')
    mkdirSync(dataDir)
    mkdirSync(dbDir)
    const loaded = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_HEALTH_TOKEN: TOKEN, STARPUNK_LOG_FILES: 'false', STARPUNK_FETCH_ENABLED: 'false' } })
    expect(loaded.problems).toEqual([])
    const dbPath = join(dbDir, 'starpunk.db')
    const lines: string[] = []
    const server = await createServer({ ...loaded.config, databasePath: dbPath }, { logging: { write: (l) => lines.push(l) } })
    cleanups.push(() => server.close())
    const url = await server.listen()
    return { server, url, dataDir, dbPath, lines }
  }

  const detailed = (url: string) => getJson(`${url}/health/ready`, { authorization: `Bearer ${TOKEN}` })

  it('data directory replaced by a file (stops root too): 503 naming filesystem; back to 200 when restored', async () => {
    const s = await startSplit()
    expect((await detailed(s.url)).status).toBe(200)
    renameSync(s.dataDir, `${s.dataDir}.away`)
    writeFileSync(s.dataDir, 'not a directory')
    const broken = await detailed(s.url)
    expect(broken.status).toBe(503)
    expect(broken.body.status).toBe('fail')
    // The media dir lives in the data dir, so the (optional) media component fails with it.
    expect(failing(broken.body)).toEqual(['filesystem:writable', 'media:writable'])
    expect(broken.body.checks?.['filesystem:writable']?.[0]?.output).toContain('ENOTDIR')
    // Anonymous callers see the failure too, just not which component.
    expect(await getJson(`${s.url}/health/ready`)).toMatchObject({ status: 503, body: { status: 'fail' } })
    rmSync(s.dataDir)
    renameSync(`${s.dataDir}.away`, s.dataDir)
    const healed = await detailed(s.url)
    expect(healed.status).toBe(200)
    expect(healed.body.status).toBe('pass')
    // The transitions were logged.
    const messages = parsedLogs(s.lines).map((l) => l.msg ?? l.message)
    expect(messages).toContain('health fail')
    expect(messages).toContain('health recovered')
  })

  it('database file moved away while open: 503 naming the database; back to 200 when it returns', async () => {
    const s = await startSplit()
    expect((await detailed(s.url)).status).toBe(200)
    const moved = `${s.dbPath}.moved`
    renameSync(s.dbPath, moved)
    const broken = await detailed(s.url)
    expect(broken.status).toBe(503)
    expect(failing(broken.body)).toContain('database:file')
    expect(failing(broken.body)).not.toContain('filesystem:writable')
    renameSync(moved, s.dbPath)
    const healed = await detailed(s.url)
    expect(healed.status).toBe(200)
    expect(healed.body.status).toBe('pass')
    // Really usable again: a write through the writer is read back through the reader threads.
    await s.server.context.db.write((conn) => conn.prepare("INSERT INTO tags (name, display) VALUES ('back', 'Back')").run())
    expect(await s.server.context.db.get('SELECT name FROM tags WHERE name = ?', ['back'])).toEqual({ name: 'back' })
  })

  it('database file replaced by another file: 503 naming the database', async () => {
    const s = await startSplit()
    renameSync(s.dbPath, `${s.dbPath}.orig`)
    writeFileSync(s.dbPath, 'an impostor')
    const broken = await detailed(s.url)
    expect(broken.status).toBe(503)
    expect(failing(broken.body)).toContain('database:file')
    rmSync(s.dbPath)
    renameSync(`${s.dbPath}.orig`, s.dbPath)
    expect((await detailed(s.url)).status).toBe(200)
  })
})
