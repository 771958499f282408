// Micropub: creating a note with a JSON Micropub request and a personal token, side by side with the
// admin area's form create (session cookie + CSRF), on the same server in the same run (ABAB, summed);
// and the p99 latency of q=source against the public page of the same note.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { createServer, loadConfig } from '../src/main/server'
import { loginAsAdmin } from '../test/helpers/admin'
import { load, type BenchContext } from './lib'

interface Run {
  requests: number
  seconds: number
  bad: number
}

async function drive(url: string, seconds: number, build: (i: number) => { headers: Record<string, string>; body: string }, expect: number): Promise<Run> {
  let i = 0
  const result = await autocannon({
    url,
    method: 'POST',
    connections: 4,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          const { headers, body } = build(i++)
          return { ...req, method: 'POST', headers, body }
        },
      },
    ],
  })
  const stats = (result.statusCodeStats ?? {}) as Record<string, { count: number } | undefined>
  const ok = stats[String(expect)]?.count ?? 0
  return { requests: ok, seconds, bad: result.requests.total - ok + result.errors }
}

export default async function micropubBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-micropub-'))
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'warn' } })
  const server = await createServer(config, { logging: { write: () => {} } })
  const url = await server.listen()
  try {
    const { token } = await server.context.tokens.createPersonal({ name: 'bench', scopes: ['create'], expiresAt: null })
    const admin = await loginAsAdmin({ url, server, dataDir: dir, lines: [], close: async () => {} })
    const text = (i: number, via: string) => `Bench note ${i} via ${via}: ${'lorem ipsum dolor sit amet '.repeat(8)}`
    const micropub = (i: number) => ({
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: ['h-entry'], properties: { content: [text(i, 'micropub')], category: ['bench'] } }),
    })
    const form = (i: number) => ({
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: admin.csrfToken, content: text(i, 'form'), tags: 'bench', slug: '', published: '1' }).toString(),
    })
    // Warm both paths (JIT, statement caches) before anything is measured.
    await drive(`${url}/micropub`, 1, micropub, 201)
    await drive(`${url}/admin/notes`, 1, form, 303)
    const seconds = ctx.quick ? 2 : 5
    const rounds = ctx.quick ? 1 : 2
    const totals = { micropub: { requests: 0, seconds: 0, bad: 0 }, form: { requests: 0, seconds: 0, bad: 0 } }
    // Alternate so that the growing notes table and warm-up hit both sides alike.
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? (['micropub', 'form'] as const) : (['form', 'micropub'] as const)) {
        const run = side === 'micropub' ? await drive(`${url}/micropub`, seconds, micropub, 201) : await drive(`${url}/admin/notes`, seconds, form, 303)
        totals[side].requests += run.requests
        totals[side].seconds += run.seconds
        totals[side].bad += run.bad
      }
    }
    ctx.report({
      group: 'Micropub',
      name: 'create: Micropub JSON + personal token vs admin form + session/CSRF',
      ours: totals.micropub.requests / totals.micropub.seconds,
      baseline: totals.form.requests / totals.form.seconds,
      unit: 'notes/s',
      higherIsBetter: true,
      note: `4 connections, ${rounds}×${seconds}s each side alternated; unexpected statuses: ${totals.micropub.bad} / ${totals.form.bad}`,
    })

    const created = await fetch(`${url}/micropub`, { method: 'POST', ...micropub(1_000_000) })
    const location = new URL(created.headers.get('location')!)
    const source = await load(`${url}/micropub?q=source&url=${encodeURIComponent(location.href)}`, { seconds, connections: 10, headers: { authorization: `Bearer ${token}` } })
    const page = await load(`${url}${location.pathname}`, { seconds, connections: 10, headers: { accept: 'text/html' } })
    ctx.report({
      group: 'Micropub',
      name: 'q=source p99 vs the public page of the same note',
      ours: source.p99,
      baseline: page.p99,
      unit: 'ms',
      higherIsBetter: false,
      note: `10 connections, ${seconds}s; q=source ${source.reqPerSec.toFixed(0)} req/s (non-2xx ${source.non2xx}), page ${page.reqPerSec.toFixed(0)} req/s`,
    })
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
