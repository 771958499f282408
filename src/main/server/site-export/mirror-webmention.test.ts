import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { until } from '../../../../test/helpers/conversation'
import { OUTBOUND_TEST_ENV, startTestServer, type TestServer } from '../../../../test/helpers/server'

// With a static mirror, receivers fetch a Webmention's source from the mirror: the Webmention for a new
// note must not leave before the mirror holds that note. A loopback server plays the site replied to and
// notes, when the Webmention arrives, whether the note's page is in the mirror folder yet. Without the
// wait, the sender would post at once while the mirror exports only after its debounce.

interface Arrival {
  source: string
  target: string
  inMirror: boolean
}

let ts: TestServer
let remote: Server
let remoteBase: string
let mirrorDir: string
const arrivals: Arrival[] = []

beforeAll(async () => {
  mirrorDir = join(mkdtempSync(join(tmpdir(), 'starpunk-mirror-wm-')), 'site')
  remote = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/post') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end('<!doctype html><title>A post</title><link rel="webmention" href="/webmention"><p>A post to reply to.</p>')
      return
    }
    if (req.method === 'POST' && req.url === '/webmention') {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        const form = new URLSearchParams(body)
        const source = form.get('source') ?? ''
        const slug = decodeURIComponent(new URL(source).pathname.split('/').pop() ?? '')
        arrivals.push({ source, target: form.get('target') ?? '', inMirror: existsSync(join(mirrorDir, 'notes', slug, 'index.html')) })
        res.writeHead(202).end()
      })
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve))
  const address = remote.address()
  remoteBase = `http://localhost:${typeof address === 'object' && address ? address.port : 0}`
  ts = await startTestServer({ ...OUTBOUND_TEST_ENV, STARPUNK_MIRROR_DIR: mirrorDir })
  expect(await ts.server.context.siteExport.mirror!.whenCurrent()).toBe(true)
})

afterAll(async () => {
  await ts?.close()
  await new Promise<void>((resolve) => remote.close(() => resolve()))
  rmSync(join(mirrorDir, '..'), { recursive: true, force: true })
})

it('a new note’s Webmention is sent only once the mirror holds the note', async () => {
  const note = await ts.server.context.notes.create({ content: `Replying to [this post](${remoteBase}/post).` })
  const [arrival] = await until('the Webmention', async () => (arrivals.length > 0 ? arrivals : null))
  expect(arrival?.source).toBe(`${ts.url}/notes/${note.slug}`)
  expect(arrival?.target).toBe(`${remoteBase}/post`)
  expect(arrival?.inMirror).toBe(true)
})
