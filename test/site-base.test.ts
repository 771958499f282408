import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer as createNetServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, loadConfig } from '../src/main/server'
import { startTestServer, TEST_ENV_DEFAULTS, type TestServer } from './helpers/server'

// STARPUNK_PORT=0 with the default site URL (http://127.0.0.1:0): every absolute URL the server hands out
// must name the port it really listens on, whichever capability builds it.
describe('one site base with port 0', () => {
  let ts: TestServer
  beforeAll(async () => {
    ts = await startTestServer()
    await ts.server.context.notes.create({ content: 'Hello from a port picked at start.', tags: ['base'] })
  })
  afterAll(async () => {
    await ts?.close()
  })

  it('feeds link to the listening address, not port 0', async () => {
    const feed = (await (await fetch(`${ts.url}/feed.json`)).json()) as { home_page_url: string; feed_url: string; items: Array<{ url: string }> }
    expect(feed.home_page_url).toBe(`${ts.url}/`)
    expect(feed.feed_url.startsWith(`${ts.url}/`)).toBe(true)
    expect(feed.items[0]?.url.startsWith(`${ts.url}/notes/`)).toBe(true)
    const rss = await (await fetch(`${ts.url}/feed.rss`)).text()
    expect(rss).toContain(`${ts.url}/notes/`)
    expect(rss).not.toContain(':0/')
  })

  it('pages, Micropub discovery, the token issuer and login links agree on the same base', async () => {
    const home = await (await fetch(`${ts.url}/`, { headers: { accept: 'text/html' } })).text()
    expect(home).toContain(`<link rel="micropub" href="${ts.url}/micropub"/>`)
    expect(home).not.toContain(':0/')
    const metadata = (await (await fetch(`${ts.url}/.well-known/oauth-authorization-server`)).json()) as { issuer: string }
    expect(metadata.issuer).toBe(`${ts.url}/`)
    expect((await ts.server.context.auth.issueLoginLink()).startsWith(`${ts.url}/admin/login/link?token=`)).toBe(true)
  })
})

describe('createServer binds before it opens anything', () => {
  let blocker: Server
  let port: number
  const dirs: string[] = []
  beforeAll(async () => {
    blocker = createNetServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const address = blocker.address()
    port = typeof address === 'object' && address ? address.port : 0
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => blocker.close(() => resolve()))
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('rejects with PORT_IN_USE and leaves no database behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-bind-'))
    dirs.push(dataDir)
    const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: String(port), ...TEST_ENV_DEFAULTS } })
    await expect(createServer(config, { logging: { write: () => {} } })).rejects.toMatchObject({ code: 'PORT_IN_USE' })
    expect(existsSync(config.databasePath)).toBe(false)
    expect(readdirSync(dataDir).filter((name) => name.endsWith('.db'))).toEqual([])
  })
})
