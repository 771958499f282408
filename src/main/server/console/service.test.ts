import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createNetServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CONTRACT_CALLS, healthAlertSchema, healthReportSchema, lifecycleAcceptedSchema, type LifecycleAccepted, type LogEntry, type PoolStats, type Result, type ServerStatus, type Snapshot } from '../../../shared/contract'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import type { PushedEvent } from '.'
import { createSupervisor, type ServerSupervisor } from '../supervisor'

const quiet = { logging: { write: () => {} } }
const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-console-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function data<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`call failed: ${result.error.code} ${result.error.message}`)
  return result.data as T
}

/** Collect pushed events until `predicate` holds (no timing assertions: the test timeout bounds it). */
function waitForEvent(supervisor: ServerSupervisor, predicate: (event: PushedEvent) => boolean): Promise<PushedEvent> {
  return new Promise((resolve) => {
    const off = supervisor.console.subscribe((event) => {
      if (predicate(event)) {
        off()
        resolve(event)
      }
    })
  })
}

describe('alerts pushed to consoles', () => {
  it("pushes health:alert with the server's own decision: only once a bad status held for STARPUNK_ALERT_SAMPLES samples", { timeout: 60_000 }, async () => {
    const dataDir = tempDir()
    const supervisor = createSupervisor({
      env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false', STARPUNK_HEALTH_SAMPLE_SECONDS: '5', STARPUNK_ALERT_SAMPLES: '2' },
      server: quiet,
      console: { poolIntervalMs: 1000, healthIntervalMs: 200, logBatchMs: 100 },
    })
    try {
      expect((await supervisor.start()).state).toBe('running')
      const down = waitForEvent(supervisor, (e) => e.name === 'health:alert')
      const brokenAt = Date.now()
      // An immutable data dir fails the writable check (root included), as a read-only disk would.
      execFileSync('chattr', ['+i', dataDir])
      let alert
      try {
        alert = healthAlertSchema.parse((await down).payload)
      } finally {
        execFileSync('chattr', ['-i', dataDir])
      }
      expect(alert).toMatchObject({ from: 'pass', kind: alert.to === 'fail' ? 'down' : 'degraded' })
      // Decided on the sampler's samples, not on the first change the console saw: by the time it came,
      // the health history held at least two samples of that status since the break.
      const history = supervisor.server!.context.metrics.history
      const overall = history.heartbeats({ from: brokenAt, to: Date.now() + 1, component: 'overall' }).overall ?? []
      expect(overall.filter((beat) => beat.status === alert.to).length).toBeGreaterThanOrEqual(2)
      const recovered = waitForEvent(supervisor, (e) => e.name === 'health:alert' && (e.payload as { kind: string }).kind === 'recovered')
      expect(healthAlertSchema.parse((await recovered).payload)).toMatchObject({ to: 'pass', kind: 'recovered' })
    } finally {
      await supervisor.close()
    }
  })
})

describe('console service over the supervisor', () => {
  let supervisor: ServerSupervisor
  let dataDir: string
  beforeAll(async () => {
    dataDir = tempDir()
    supervisor = createSupervisor({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false' }, server: quiet, console: { poolIntervalMs: 50, healthIntervalMs: 100, logBatchMs: 20 } })
    const status = await supervisor.start()
    expect(status.state).toBe('running')
  })
  afterAll(async () => {
    await supervisor.close()
  })

  it('answers a snapshot of the running server', async () => {
    const snapshot = data<Snapshot>(await supervisor.console.call('server:snapshot', undefined))
    expect(snapshot.status.state).toBe('running')
    expect(snapshot.status.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(snapshot.status.dataDir).toBe(dataDir)
    expect(snapshot.status.controllable).toBe(true)
    expect(snapshot.pool?.size).toBeGreaterThan(0)
    expect(snapshot.config.fields.map((f) => f.name)).toContain('STARPUNK_PORT')
    // Secrets never leave the server in clear.
    const secret = snapshot.config.fields.find((f) => f.name === 'STARPUNK_SESSION_SECRET')
    expect(secret?.secret).toBe(true)
    expect(secret?.value).toBe('********')
    expect(JSON.stringify(snapshot)).not.toContain(supervisor.server!.context.config.sessionSecret)
  })

  it('answers bad names and payloads with a catalog error, never a throw', async () => {
    const unknown = await supervisor.console.dispatch('server:explode', undefined)
    expect(unknown).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    const badPayload = await supervisor.console.dispatch('logs:recent', { limit: 'lots' })
    expect(badPayload).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    const extra = await supervisor.console.dispatch('link:open', { target: 'file:///etc/passwd' })
    expect(extra).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    if (!extra.ok) expect(extra.error.troubleshooting.length).toBeGreaterThan(0)
  })

  it('finds a real request in the recent logs by its request ID', async () => {
    const url = supervisor.status().url!
    const res = await fetch(`${url}/health`, { headers: { 'x-request-id': 'console-test-req-1' } })
    expect(res.status).toBe(200)
    const { entries } = data<{ entries: LogEntry[] }>(await supervisor.console.call('logs:recent', { limit: 500 }))
    expect(entries.some((e) => e.requestId === 'console-test-req-1')).toBe(true)
  })

  it('pushes pool stats, batched log entries with request IDs, and health', async () => {
    const pool = waitForEvent(supervisor, (e) => e.name === 'pool:stats')
    const health = waitForEvent(supervisor, (e) => e.name === 'health:changed')
    const logs = waitForEvent(supervisor, (e) => e.name === 'logs:batch' && (e.payload as { entries: LogEntry[] }).entries.some((l) => l.requestId === 'console-push-1'))
    await fetch(`${supervisor.status().url}/health`, { headers: { 'x-request-id': 'console-push-1' } })
    expect(((await pool).payload as PoolStats).size).toBeGreaterThan(0)
    // The pushed report is the readiness report, in the contract's shape (not just any status word).
    const pushed = healthReportSchema.parse((await health).payload)
    const direct = await supervisor.server!.context.health.readiness(true)
    expect(pushed.status).toBe(direct.status)
    expect(Object.keys(pushed.checks ?? {}).sort()).toEqual(Object.keys(direct.checks ?? {}).sort())
    expect(Object.keys(pushed.checks ?? {})).toContain('filesystem:writable')
    await logs
    // Every pushed event is kept for resume, with increasing ids.
    const { events, complete } = supervisor.console.eventsSince(0)
    expect(complete).toBe(true)
    expect(events.length).toBeGreaterThan(0)
    expect(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id)).toBe(true)
  })

  it('validates edits without saving, then saves only valid ones', async () => {
    const bad = data<{ problems: Array<{ message: string }> }>(await supervisor.console.call('config:validate', { values: { STARPUNK_DB_POOL_SIZE: 'many' } }))
    expect(bad.problems.length).toBeGreaterThan(0)
    expect(bad.problems[0]!.message).toContain('STARPUNK_DB_POOL_SIZE')
    const refused = data<{ saved: boolean }>(await supervisor.console.call('config:save', { values: { STARPUNK_DB_POOL_SIZE: 'many' } }))
    expect(refused.saved).toBe(false)
    const saved = data<{ saved: boolean }>(await supervisor.console.call('config:save', { values: { STARPUNK_SITE_NAME: 'Console Test Blog' } }))
    expect(saved.saved).toBe(true)
    expect(JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8'))).toMatchObject({ STARPUNK_SITE_NAME: 'Console Test Blog' })
  })

  it('answers every read-only call in the shape its schema defines', async () => {
    const requests = { 'server:snapshot': undefined, 'server:status': undefined, 'pool:stats': undefined, 'health:get': undefined, 'config:get': undefined, 'logs:recent': { limit: 3 } } as const
    for (const [name, request] of Object.entries(requests) as Array<[keyof typeof requests, undefined]>) {
      const result = await supervisor.console.call(name, request)
      expect(result.ok, name).toBe(true)
      if (result.ok) expect(() => CONTRACT_CALLS[name].response.parse(result.data), name).not.toThrow()
    }
  })

  it('accepts a restart at once, then pushes each state; the new server runs the saved configuration', async () => {
    const states: string[] = []
    const running = waitForEvent(supervisor, (e) => e.name === 'server:status' && e.payload.state === 'running')
    const off = supervisor.console.subscribe((e) => {
      if (e.name === 'server:status') states.push(e.payload.state)
    })
    const oldServer = supervisor.server!
    const oldBoot = oldServer.context.logging.buffer.recent(1)[0]!.boot
    const accepted = data<LifecycleAccepted>(await supervisor.console.call('server:restart', undefined))
    // The answer is the acceptance, with the status as it was: the old server is still the one running.
    expect(accepted).toMatchObject({ accepted: 'restart', status: { state: 'running' } })
    expect(lifecycleAcceptedSchema.safeParse(accepted).success).toBe(true)
    expect(states).toEqual([])
    const final = (await running).payload as ServerStatus
    off()
    expect(states).toEqual(['stopped', 'starting', 'running'])
    // A new server, with a new log boot, on the same data dir and port, with the saved configuration.
    expect(supervisor.server).not.toBe(oldServer)
    expect(supervisor.server!.context.logging.buffer.recent(1)[0]!.boot).not.toBe(oldBoot)
    expect(final.url).toBe(accepted.status.url)
    expect(supervisor.server!.context.config.siteName).toBe('Console Test Blog')
    // Client and server share this event loop: let it read the old server's FIN on the pooled keep-alive
    // socket before reusing the port (a browser retries such a request by itself).
    await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setImmediate(resolve))
    const res = await fetch(`${final.url}/health`)
    expect(res.status).toBe(200)
  })

  it('stops and starts; calls that need the server say so while it is stopped', async () => {
    const stoppedEvent = waitForEvent(supervisor, (e) => e.name === 'server:status' && e.payload.state === 'stopped')
    expect(data<LifecycleAccepted>(await supervisor.console.call('server:stop', undefined)).accepted).toBe('stop')
    const stopped = (await stoppedEvent).payload as ServerStatus
    expect(stopped.url).toBeNull()
    expect(data<PoolStats | null>(await supervisor.console.call('pool:stats', undefined))).toBeNull()
    const health = await supervisor.console.call('health:get', undefined)
    expect(health).toMatchObject({ ok: false, error: { code: 'SERVER_NOT_RUNNING' } })
    const runningEvent = waitForEvent(supervisor, (e) => e.name === 'server:status' && e.payload.state === 'running')
    expect(data<LifecycleAccepted>(await supervisor.console.call('server:start', undefined))).toMatchObject({ accepted: 'start', status: { state: 'stopped' } })
    expect(((await runningEvent).payload as ServerStatus).state).toBe('running')
    expect(supervisor.status().state).toBe('running')
  })
})

describe('log batching', () => {
  it('sends bursts in bounded batches without losing lines, and counts what falls past the bound', async () => {
    const supervisor = createSupervisor({
      env: { STARPUNK_DATA_DIR: tempDir(), STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false' },
      server: quiet,
      console: { logBatchMs: 10, maxLogBatch: 10, maxPendingLogs: 50 },
    })
    await supervisor.start()
    try {
      const batches: Array<{ entries: LogEntry[]; dropped: number }> = []
      const off = supervisor.console.subscribe((e) => {
        if (e.name === 'logs:batch') batches.push(e.payload)
      })
      const logger = supervisor.server!.context.logger
      const marked = (b: { entries: LogEntry[] }) => b.entries.filter((e) => e.msg.startsWith('burst-'))
      for (let i = 0; i < 30; i++) logger.info(`burst-a-${i}`)
      while (batches.flatMap(marked).length < 30) await new Promise((r) => setTimeout(r, 10))
      expect(batches.every((b) => b.entries.length <= 10)).toBe(true)
      expect(batches.flatMap(marked).map((e) => e.msg)).toEqual(Array.from({ length: 30 }, (_, i) => `burst-a-${i}`))
      expect(batches.reduce((n, b) => n + b.dropped, 0)).toBe(0)

      batches.length = 0
      for (let i = 0; i < 300; i++) logger.info(`burst-b-${i}`)
      while (batches.flatMap(marked).length + batches.reduce((n, b) => n + b.dropped, 0) < 300) await new Promise((r) => setTimeout(r, 10))
      off()
      const delivered = batches.flatMap(marked).map((e) => e.msg)
      const dropped = batches.reduce((n, b) => n + b.dropped, 0)
      expect(dropped).toBeGreaterThan(0)
      // The newest lines always arrive; what was dropped is the oldest.
      expect(delivered[delivered.length - 1]).toBe('burst-b-299')
      expect(delivered.length + dropped).toBe(300)
    } finally {
      await supervisor.close()
    }
  })
})

describe('supervisor failures are states, not crashes', () => {
  let blocker: Server
  let supervisors: ServerSupervisor[] = []
  afterEach(async () => {
    for (const s of supervisors) await s.close()
    supervisors = []
  })
  afterAll(() => new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve())))

  it('reports a port in use with the catalog suggestion', async () => {
    blocker = createNetServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    const supervisor = createSupervisor({ env: { STARPUNK_DATA_DIR: tempDir(), STARPUNK_PORT: String(port), STARPUNK_FETCH_ENABLED: 'false' }, server: quiet })
    supervisors.push(supervisor)
    const status = await supervisor.start()
    expect(status.state).toBe('failed')
    expect(status.error?.code).toBe('PORT_IN_USE')
    expect(status.error?.suggestion).toContain('STARPUNK_PORT')
    expect(status.error?.message).toContain(String(port))
    // The console still answers: the config can be fixed from the app.
    expect(data<{ problems: unknown[] }>(await supervisor.console.call('config:validate', { values: { STARPUNK_PORT: '0' } })).problems).toEqual([])
  })

  it('refuses to start with configuration problems, unless in safe mode where it lists them', async () => {
    const env = { STARPUNK_DATA_DIR: tempDir(), STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false', STARPUNK_LOG_LEVEL: 'LOUD', STARPUNK_DB_POOL_SIZE: 'many' }
    const strict = createSupervisor({ env, server: quiet })
    supervisors.push(strict)
    const refused = await strict.start()
    expect(refused.state).toBe('failed')
    expect(refused.error?.code).toBe('CONFIG_INVALID')
    expect(strict.loaded().problems.length).toBe(2)

    const safe = createSupervisor({ env, server: quiet, safeMode: true })
    supervisors.push(safe)
    const running = await safe.start()
    expect(running.state).toBe('running')
    const view = data<Snapshot>(await safe.console.call('server:snapshot', undefined)).config
    const messages = view.problems.map((p) => p.message).join('\n')
    expect(messages).toContain('STARPUNK_LOG_LEVEL')
    expect(messages).toContain('STARPUNK_DB_POOL_SIZE')
    expect(view.problems.every((p) => p.troubleshooting.length > 0)).toBe(true)
  })
})

describe('console of a server started on its own', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(async () => {
    await server.close()
  })

  it('reports and reads, but cannot restart itself', async () => {
    const status = data<ServerStatus>(await server.server.context.console.call('server:status', undefined))
    expect(status.state).toBe('running')
    expect(status.url).toBe(server.url)
    expect(status.controllable).toBe(false)
    const restart = await server.server.context.console.call('server:restart', undefined)
    expect(restart).toMatchObject({ ok: false, error: { code: 'CONSOLE_ACTION_UNAVAILABLE' } })
    const link = data<{ url: string }>(await server.server.context.console.call('link:open', { target: 'blog' }))
    expect(link.url).toBe(`${server.url}/`)
    // The contract call only names the page: no sign-in link is minted for a caller that may not use it.
    const admin = data<{ url: string }>(await server.server.context.console.call('link:open', { target: 'admin' }))
    expect(admin.url).toBe(`${server.url}/admin/`)
    expect(server.lines.some((line) => line.includes('one-time login link issued'))).toBe(false)
    // The desktop shell's own entry mints one, which works once.
    const minted = data<{ url: string }>(await server.server.context.console.issueLoginLink())
    expect(minted.url.startsWith(`${server.url}/admin/login/link?token=`)).toBe(true)
    expect(server.server.context.console.blogOrigins()).toContain(server.url)
    const first = await fetch(minted.url, { redirect: 'manual' })
    expect(first.headers.getSetCookie().length).toBeGreaterThan(0)
    const second = await fetch(minted.url, { redirect: 'manual' })
    expect(second.headers.getSetCookie().some((c) => c.startsWith('starpunk_session=') && !c.includes('Max-Age=0') && !/=;/.test(c))).toBe(false)
  })
})
