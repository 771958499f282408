// Auth: what a session costs per request. The same cheap route (/health) driven with a valid admin
// session cookie (one indexed read of the sessions table, throttled sliding writes) and without a cookie
// (visitors: no database work), side by side in rounds (ABAB) in one run; plus the admin dashboard
// against the public home page over the same notes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, loadConfig } from '../src/main/server'
import { loginAsAdmin } from '../test/helpers/admin'
import { load, type BenchContext } from './lib'

export default async function authBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-auth-'))
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'warn' } })
  const server = await createServer(config, { logging: { write: () => {} } })
  const url = await server.listen()
  try {
    for (let i = 0; i < 200; i++) await server.context.notes.create({ content: `Bench note ${i}: ${'lorem ipsum '.repeat(20)}`, tags: ['bench'] })
    const admin = await loginAsAdmin({ url, server, dataDir: dir, lines: [], close: async () => {} })
    const seconds = ctx.quick ? 1 : 3
    const rounds = ctx.quick ? 1 : 2
    const html = { accept: 'text/html' }
    // Warm-up (JIT, statement caches).
    await load(`${url}/health`, { seconds: 1, headers: { cookie: admin.cookie } })
    await load(`${url}/health`, { seconds: 1 })

    let withSession = 0
    let visitor = 0
    let dashboard = 0
    let home = 0
    let bad = 0
    for (let r = 0; r < rounds; r++) {
      const a = await load(`${url}/health`, { seconds, headers: { cookie: admin.cookie } })
      const b = await load(`${url}/health`, { seconds })
      const c = await load(`${url}/admin`, { seconds, headers: { ...html, cookie: admin.cookie } })
      const d = await load(`${url}/`, { seconds, headers: html })
      withSession += a.reqPerSec
      visitor += b.reqPerSec
      dashboard += c.reqPerSec
      home += d.reqPerSec
      bad += a.non2xx + b.non2xx + c.non2xx + d.non2xx + a.errors + b.errors + c.errors + d.errors
    }
    if (bad > 0) throw new Error(`${bad} failed or non-2xx responses: the comparison would be meaningless`)
    ctx.report({
      group: 'Auth',
      name: 'GET /health: with admin session cookie vs. visitor (no cookie)',
      ours: withSession / rounds,
      baseline: visitor / rounds,
      unit: 'req/s',
      higherIsBetter: true,
      note: 'cost of loadSession: SHA-256 + one indexed read per request',
    })
    ctx.report({
      group: 'Auth',
      name: 'GET /admin (20 of 200 notes, session) vs. GET / (public home)',
      ours: dashboard / rounds,
      baseline: home / rounds,
      unit: 'req/s',
      higherIsBetter: true,
      note: 'dashboard is rendered per request (no-store); home is served from the page cache',
    })
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
