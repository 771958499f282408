import { mkdtempSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createServer, loadConfig, type StarpunkServer } from '../index'

/**
 * A loopback server playing the author's own site and IndieAuth token endpoint (tokens.indieauth.com-style
 * GET verification). Its behaviour can be switched per test.
 */
async function startProvider() {
  const state = {
    mode: 'ok' as 'ok' | 'down' | 'hang' | 'error',
    discovery: 'html' as 'html' | 'link' | 'metadata',
    tokens: new Map<string, { me: string; scope: string; client_id: string }>(),
    verifications: 0,
    url: '',
  }
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/') {
      if (state.discovery === 'link') res.setHeader('Link', '</endpoints/token>; rel="token_endpoint"')
      if (state.discovery === 'metadata') res.setHeader('Link', '</.well-known/oauth-authorization-server>; rel="indieauth-metadata"')
      res.setHeader('content-type', 'text/html')
      res.end(state.discovery === 'html' ? '<!doctype html><html><head><link rel="token_endpoint" href="/endpoints/token"></head><body>me</body></html>' : '<!doctype html><p>me')
      return
    }
    if (path === '/.well-known/oauth-authorization-server') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ issuer: state.url, token_endpoint: `${state.url}endpoints/token` }))
      return
    }
    if (path === '/endpoints/token') {
      state.verifications++
      if (state.mode === 'hang') return // never answers: the verifier's timeout must fire
      if (state.mode === 'error') {
        res.statusCode = 503
        res.end()
        return
      }
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      const grant = token ? state.tokens.get(token) : undefined
      res.setHeader('content-type', 'application/json')
      if (!grant) {
        res.statusCode = 401
        res.end(JSON.stringify({ error: 'unauthorized' }))
        return
      }
      res.end(JSON.stringify(grant))
      return
    }
    res.statusCode = 404
    res.end()
  }
  const server = createHttpServer((req, res) => {
    if (state.mode === 'down') {
      req.socket.destroy()
      return
    }
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`
  return {
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

describe('external token verification against the endpoint discovered from ADMIN_ME', () => {
  let provider: Awaited<ReturnType<typeof startProvider>>
  let server: StarpunkServer
  let url: string
  let dataDir: string
  const lines: string[] = []
  const clock = { now: Date.now() }

  beforeAll(async () => {
    provider = await startProvider()
    dataDir = mkdtempSync(join(tmpdir(), 'starpunk-ext-'))
    const { config } = loadConfig({
      env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_ADMIN_ME: provider.state.url, STARPUNK_FETCH_ENABLED: 'true', STARPUNK_FETCH_ALLOW_PRIVATE: 'true' },
    })
    server = await createServer(config, { logging: { write: (line) => lines.push(line) }, tokens: { now: () => clock.now, external: { timeoutMs: 300 } } })
    url = await server.listen()
    provider.state.tokens.set('ext-good-token', { me: provider.state.url, scope: 'create media', client_id: 'https://quill.p3k.io/' })
    provider.state.tokens.set('ext-stranger-token', { me: 'https://someone-else.example/', scope: 'create', client_id: 'https://quill.p3k.io/' })
  })
  afterAll(async () => {
    await server.close()
    await provider.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  // Every test starts from cold caches and a well-behaved provider, whatever ran before it.
  beforeEach(() => {
    clock.now += 60 * 60_000 // past the discovery and verification caches
  })
  afterEach(() => {
    provider.state.mode = 'ok'
    provider.state.discovery = 'html'
  })

  const notes = () => (server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n
  const post = (token: string, content = 'from an external token') =>
    fetch(`${url}/micropub`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new URLSearchParams({ h: 'entry', content }) })

  it('accepts a token the author’s endpoint vouches for, then serves repeats from the cache', async () => {
    const before = provider.state.verifications
    expect((await post('ext-good-token')).status).toBe(201)
    expect(provider.state.verifications).toBe(before + 1)
    expect((await post('ext-good-token', 'second')).status).toBe(201)
    expect(provider.state.verifications).toBe(before + 1)
    // After the 5-minute positive cache, the endpoint is asked again.
    clock.now += 5 * 60_000 + 1
    expect((await post('ext-good-token', 'third')).status).toBe(201)
    expect(provider.state.verifications).toBe(before + 2)
  })

  it('enforces the scopes the endpoint reports', async () => {
    const created = await post('ext-good-token', 'to delete')
    const res = await fetch(`${url}/micropub`, { method: 'POST', headers: { authorization: 'Bearer ext-good-token' }, body: new URLSearchParams({ action: 'delete', url: created.headers.get('location')! }) })
    expect(res.status).toBe(403)
  })

  it('refuses unknown tokens and tokens for another `me`, and remembers the refusal only briefly', async () => {
    const before = notes()
    expect((await post('ext-unknown-token')).status).toBe(401)
    expect((await post('ext-stranger-token')).status).toBe(401)
    const count = provider.state.verifications
    // Repeats within the failure cache are answered without asking the endpoint again...
    expect((await post('ext-stranger-token')).status).toBe(401)
    expect((await post('ext-unknown-token')).status).toBe(401)
    expect(provider.state.verifications).toBe(count)
    // ...and once it has passed, the endpoint is asked again (a token may have become valid).
    clock.now += 30_000 + 1
    expect((await post('ext-stranger-token')).status).toBe(401)
    expect(provider.state.verifications).toBe(count + 1)
    expect(notes()).toBe(before)
  })

  it('fails closed when the endpoint is down, erroring or too slow', async () => {
    const before = notes()
    provider.state.tokens.set('ext-fresh-token', { me: provider.state.url, scope: 'create', client_id: 'x' })
    for (const mode of ['error', 'hang', 'down'] as const) {
      provider.state.mode = mode
      clock.now += 30_000 + 1 // past the remembered failure of the previous round
      const res = await post('ext-fresh-token')
      expect(res.status, mode).toBe(401)
      const body = (await res.json()) as Record<string, string>
      expect(body.error).toBe('unauthorized')
      expect(body.code).toBe('TOKEN_UNVERIFIABLE')
    }
    expect(notes()).toBe(before)
  })

  it('discovers the endpoint from a Link header or indieauth-metadata as well', async () => {
    for (const discovery of ['link', 'metadata'] as const) {
      provider.state.discovery = discovery
      clock.now += 60 * 60_000 // past the discovery and verification caches of the previous round
      const before = provider.state.verifications
      expect((await post('ext-good-token', `via ${discovery}`)).status, discovery).toBe(201)
      expect(provider.state.verifications).toBe(before + 1)
    }
  })

  it('never logs token values', async () => {
    const from = lines.length
    provider.state.tokens.set('ext-unverifiable-token', { me: provider.state.url, scope: 'create', client_id: 'x' })
    expect((await post('ext-good-token', 'logged request')).status).toBe(201)
    expect((await post('ext-stranger-token')).status).toBe(401)
    expect((await post('ext-unknown-token')).status).toBe(401)
    provider.state.mode = 'error'
    expect((await post('ext-unverifiable-token')).status).toBe(401)
    // This test's own requests were logged (so the check below looks at real lines), with no token in them.
    const written = lines.slice(from).join('\n')
    expect(written.match(/\/micropub/g)?.length ?? 0).toBeGreaterThanOrEqual(4)
    const everything = lines.join('\n')
    for (const token of ['ext-good-token', 'ext-stranger-token', 'ext-unknown-token', 'ext-fresh-token', 'ext-unverifiable-token']) {
      expect(written).not.toContain(token)
      expect(everything).not.toContain(token)
    }
  })
})
