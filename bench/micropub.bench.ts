// Micropub: creating a note with a JSON Micropub request and a personal token, side by side with the
// admin area's form create (session cookie + CSRF), on the same server in the same run (ABAB, summed);
// and the p99 latency of q=source against the public page of the same note. The load is wrk in its own
// process pinned to LOAD_CPU, with a Lua script that builds each POST's body (a new note per request);
// this process, which is the server here, is pinned to SERVER_CPU while it is measured.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, loadConfig } from '../src/main/server'
import { loginAsAdmin } from '../test/helpers/admin'
import { LOAD_CPU, load, loadAverage, SERVER_CPU, wrk, type BenchContext } from './lib'

interface Run {
  requests: number
  seconds: number
  /** What the unexpected answers were: status code (or "socket errors") → count. */
  unexpected: Map<string, number>
}

/** Where the counter goes in a body template: letters only, so URL encoding leaves it alone. */
const SEQUENCE = 'BENCHSEQ'

/** A Lua long string holding `text` exactly (no escapes are read inside one). */
function luaString(text: string): string {
  let level = '='
  while (text.includes(`]${level}]`)) level += '='
  return `[${level}[${text}]${level}]`
}

/**
 * A wrk script that POSTs `template` to `path` with SEQUENCE replaced by a counter, so every request creates
 * a new note, and prints how many responses had each status ("STATUS <code> <count>") when done.
 */
function postScript(file: string, path: string, headers: Record<string, string>, template: string): string {
  const headerTable = Object.entries(headers)
    .map(([name, value]) => `[ ${luaString(name)} ] = ${luaString(value)}`)
    .join(', ')
  writeFileSync(
    file,
    `local path = ${luaString(path)}
local headers = { ${headerTable} }
local template = ${luaString(template)}
counter = 0
statuses = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function request()
  counter = counter + 1
  local body = string.gsub(template, "${SEQUENCE}", tostring(counter))
  return wrk.format("POST", path, headers, body)
end
function response(status, response_headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do io.write(string.format("STATUS %d %d\\n", code, n)) end
  end
end
`,
  )
  return file
}

interface PostTarget {
  url: string
  headers: Record<string, string>
  /** The body, SEQUENCE standing for the request's number. */
  template: string
  expect: number
  script: string
}

async function drive(target: PostTarget, seconds: number): Promise<Run> {
  const result = await wrk(target.url, seconds, { connections: 4, cpu: LOAD_CPU, script: target.script })
  // A script wrk cannot load is reported on stderr and replaced by plain GETs: no STATUS lines then.
  const statuses = new Map<number, number>()
  for (const m of result.stdout.matchAll(/^STATUS (\d+) (\d+)$/gm)) statuses.set(Number(m[1]), Number(m[2]))
  if (statuses.size === 0 && result.requests > 0) throw new Error(`wrk printed no status counts for ${target.url}:\n${result.stdout}`)
  const ok = statuses.get(target.expect) ?? 0
  const unexpected = new Map<string, number>()
  for (const [code, n] of statuses) if (code !== target.expect) unexpected.set(String(code), n)
  if (result.socketErrors) unexpected.set('socket errors', result.socketErrors)
  return { requests: ok, seconds, unexpected }
}

function describeUnexpected(runs: Map<string, number>): string {
  return runs.size === 0 ? '0' : [...runs].map(([what, n]) => `${n}× ${what}`).join(', ')
}

/** Pin every thread of this process to `cpus` (taskset -a); returns the list it had before. */
function pinThisProcess(cpus: string): string {
  const before = /:\s*(\S+)\s*$/.exec(execFileSync('/usr/bin/taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' }))?.[1] ?? '0-1'
  execFileSync('/usr/bin/taskset', ['-a', '-c', '-p', cpus, String(process.pid)], { stdio: 'ignore' })
  return before
}

export default async function micropubBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-micropub-'))
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'warn' } })
  const server = await createServer(config, { logging: { write: () => {} } })
  const url = await server.listen()
  try {
    const { token } = await server.context.tokens.createPersonal({ name: 'bench', scopes: ['create'], expiresAt: null })
    const admin = await loginAsAdmin({ url, server, dataDir: dir, lines: [], close: async () => {} })
    const run = Date.now().toString(36)
    const text = (i: number | string, via: string) => `Bench note ${run}-${i} via ${via}: ${'lorem ipsum dolor sit amet '.repeat(8)}`
    const micropubBody = (i: number | string) => JSON.stringify({ type: ['h-entry'], properties: { content: [text(i, 'micropub')], category: ['bench'] } })
    const micropubHeaders = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const formHeaders = { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }
    const formBody = (i: number | string) => new URLSearchParams({ _csrf: admin.csrfToken, content: text(i, 'form'), tags: 'bench', slug: '', published: '1' }).toString()
    const targets = {
      micropub: { url: `${url}/micropub`, headers: micropubHeaders, template: micropubBody(SEQUENCE), expect: 201, script: '' },
      form: { url: `${url}/admin/notes`, headers: formHeaders, template: formBody(SEQUENCE), expect: 303, script: '' },
    }
    for (const [side, target] of Object.entries(targets)) {
      target.script = postScript(join(dir, `post-${side}.lua`), new URL(target.url).pathname, target.headers, target.template)
    }
    const seconds = ctx.quick ? 2 : 5
    const rounds = ctx.quick ? 1 : 4
    const totals = { micropub: { requests: 0, seconds: 0, unexpected: new Map<string, number>() }, form: { requests: 0, seconds: 0, unexpected: new Map<string, number>() } }
    const cpusBefore = pinThisProcess(SERVER_CPU)
    const loadBefore = loadAverage()
    try {
      // Warm both paths (JIT, statement caches) before anything is measured.
      await drive(targets.micropub, 1)
      await drive(targets.form, 1)
      // Alternate so that the growing notes table and warm-up hit both sides alike.
      for (let r = 0; r < rounds; r++) {
        for (const side of r % 2 === 0 ? (['micropub', 'form'] as const) : (['form', 'micropub'] as const)) {
          const result = await drive(targets[side], seconds)
          totals[side].requests += result.requests
          totals[side].seconds += result.seconds
          for (const [what, n] of result.unexpected) totals[side].unexpected.set(what, (totals[side].unexpected.get(what) ?? 0) + n)
        }
      }
    } finally {
      pinThisProcess(cpusBefore)
    }
    ctx.report({
      group: 'Micropub',
      name: 'create: Micropub JSON + personal token vs admin form + session/CSRF',
      ours: totals.micropub.requests / totals.micropub.seconds,
      baseline: totals.form.requests / totals.form.seconds,
      unit: 'notes/s',
      higherIsBetter: true,
      note: `wrk -t1 -c4 (Lua script, a new note per request) on CPU ${LOAD_CPU}, the server (this process) on CPU ${SERVER_CPU}; ${rounds}×${seconds}s each side alternated; unexpected answers: Micropub ${describeUnexpected(totals.micropub.unexpected)}, form ${describeUnexpected(totals.form.unexpected)}; load ${loadBefore} before, ${loadAverage()} after`,
    })

    const created = await fetch(`${url}/micropub`, { method: 'POST', headers: micropubHeaders, body: micropubBody('source') })
    const location = new URL(created.headers.get('location')!)
    const cpusBeforeRead = pinThisProcess(SERVER_CPU)
    let source: Awaited<ReturnType<typeof load>>
    let page: Awaited<ReturnType<typeof load>>
    try {
      source = await load(`${url}/micropub?q=source&url=${encodeURIComponent(location.href)}`, { seconds, connections: 10, cpu: LOAD_CPU, headers: { authorization: `Bearer ${token}` } })
      page = await load(`${url}${location.pathname}`, { seconds, connections: 10, cpu: LOAD_CPU, headers: { accept: 'text/html' } })
    } finally {
      pinThisProcess(cpusBeforeRead)
    }
    ctx.report({
      group: 'Micropub',
      name: 'q=source p99 vs the public page of the same note',
      ours: source.p99,
      baseline: page.p99,
      unit: 'ms',
      higherIsBetter: false,
      note: `wrk -t1 -c10 on CPU ${LOAD_CPU}, server on CPU ${SERVER_CPU}, ${seconds}s each; q=source ${source.reqPerSec.toFixed(0)} req/s (non-2xx ${source.non2xx}), page ${page.reqPerSec.toFixed(0)} req/s`,
    })
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
