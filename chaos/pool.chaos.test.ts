/**
 * Pool exhaustion: ten times the pool size of concurrent slow reads (LIKE search scanning a large corpus,
 * pool of 2, short acquire timeout). Each request succeeds or gets 503 POOL_EXHAUSTED with Retry-After;
 * afterwards the pool stats (detailed readiness) show no leaked connection and the server answers normally.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { newDataDir, startServer, type ServerProcess } from './harness/process'
import { request } from './harness/http'
import { seedCorpus } from './harness/corpus'
import { recordSecret } from './harness/secrets'
import { recordFigure } from './harness/figures'

const POOL_SIZE = 2
const HEALTH_TOKEN = 'chaos-pool-health-token-5d8e1f'
const CORPUS_NOTES = Number(process.env.CHAOS_POOL_CORPUS ?? 20_000)
let server: ServerProcess

interface Detailed {
  status: string
  checks: Record<string, Array<{ observedValue?: number; output?: string; status: string }>>
}

async function detailed(): Promise<Detailed> {
  const reply = await request(server.url, '/health/ready', { headers: { authorization: `Bearer ${HEALTH_TOKEN}` } })
  return JSON.parse(reply.text) as Detailed
}

beforeAll(async () => {
  recordSecret('health token', HEALTH_TOKEN)
  const dataDir = newDataDir('pool')
  const env = {
    STARPUNK_SEARCH_ENGINE: 'like',
    STARPUNK_DB_POOL_SIZE: String(POOL_SIZE),
    STARPUNK_DB_POOL_TIMEOUT_MS: '250',
    STARPUNK_HEALTH_TOKEN: HEALTH_TOKEN,
  }
  // First start creates the schema; the corpus goes in while the server is stopped.
  const first = await startServer({ dataDir, env })
  await first.stop()
  seedCorpus(join(dataDir, 'starpunk.db'), CORPUS_NOTES, 3000)
  server = await startServer({ dataDir, env, startTimeoutMs: 120_000 })
})
afterAll(async () => {
  await server?.stop()
})

describe(`pool exhaustion (pool ${POOL_SIZE}, ${POOL_SIZE * 10} concurrent slow searches)`, () => {
  it('each request succeeds or gets 503 POOL_EXHAUSTED; no connection leaks; normal service after', async () => {
    const replies = await Promise.all(
      Array.from({ length: POOL_SIZE * 10 }, (_, i) => request(server.url, `/api/search?q=${encodeURIComponent(`nomatch${i} river`)}`, { timeoutMs: 120_000 })),
    )
    const statuses = replies.map((r) => r.status)
    const byStatus: Record<number, number> = {}
    for (const s of statuses) byStatus[s] = (byStatus[s] ?? 0) + 1
    for (const reply of replies) {
      expect([200, 503], reply.text.slice(0, 300)).toContain(reply.status)
      if (reply.status === 503) {
        const body = JSON.parse(reply.text) as { error: { code: string; request_id: string } }
        expect(body.error.code).toBe('POOL_EXHAUSTED')
        expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0)
        expect(body.error.request_id).toBe(reply.headers['x-request-id'])
      }
    }
    // The flood must really have exhausted the pool, or this test proved nothing.
    expect(byStatus[503] ?? 0, `statuses ${JSON.stringify(byStatus)}`).toBeGreaterThan(0)

    // A query still finishing in a worker may hold a connection for a moment after the last reply: look a
    // few times (bounded), then judge.
    let report = await detailed()
    for (let i = 0; i < 10 && report.checks['database:connections']?.[0]?.observedValue !== 0; i++) {
      await new Promise((r) => setTimeout(r, 500))
      report = await detailed()
    }
    const connections = report.checks['database:connections']?.[0]
    const waiting = report.checks['database:waiting']?.[0]
    const timeouts = report.checks['database:timeouts']?.[0]
    expect(connections?.observedValue, connections?.output).toBe(0)
    expect(waiting?.observedValue).toBe(0)
    expect(timeouts?.observedValue ?? 0).toBeGreaterThan(0)

    // Normal service: pages and a search that finds something.
    expect((await request(server.url, '/')).status).toBe(200)
    const found = await request(server.url, '/api/search?q=saffron&limit=1', { timeoutMs: 120_000 })
    expect(found.status).toBe(200)
    expect((JSON.parse(found.text) as { total?: number; results?: unknown[]; hits?: unknown[] })).toBeTruthy()
    expect(report.status).not.toBe('fail')
    recordFigure('pool', { poolSize: POOL_SIZE, concurrent: POOL_SIZE * 10, corpusNotes: CORPUS_NOTES, statuses: byStatus, connectionsAfter: connections?.observedValue, timeouts: timeouts?.observedValue })
    process.stdout.write(`pool: ${JSON.stringify(byStatus)} after: ${connections?.output}\n`)
  })
})
