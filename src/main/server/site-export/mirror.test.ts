import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mf2 } from 'microformats-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// STARPUNK_MIRROR_DIR: exported at start and after every note change, in the background; whenCurrent()
// resolves once the mirror holds every change made before the call. STARPUNK_LIVE_URL: endpoints there.

let ts: TestServer
let mirrorDir: string
const LIVE = 'https://live.example.org'

beforeAll(async () => {
  mirrorDir = join(mkdtempSync(join(tmpdir(), 'starpunk-mirror-')), 'site')
  ts = await startTestServer({ STARPUNK_MIRROR_DIR: mirrorDir, STARPUNK_LIVE_URL: LIVE })
})
afterAll(async () => {
  await ts.close()
  rmSync(join(mirrorDir, '..'), { recursive: true, force: true })
})

const mirror = () => ts.server.context.siteExport.mirror!

describe('the mirror directory', () => {
  it('is exported at start, with the endpoints at the live URL on the copy and on the live pages', async () => {
    expect(await mirror().whenCurrent()).toBe(true)
    const copy = mf2(readFileSync(join(mirrorDir, 'index.html'), 'utf8'), { baseUrl: ts.url })
    const live = mf2(await (await fetch(`${ts.url}/`)).text(), { baseUrl: ts.url })
    for (const parsed of [copy, live]) {
      expect(parsed.rels.micropub).toEqual([`${LIVE}/micropub`])
      expect(parsed.rels['indieauth-metadata']).toEqual([`${LIVE}/.well-known/oauth-authorization-server`])
      expect(parsed.rels.token_endpoint).toEqual([`${LIVE}/indieauth/token`])
    }
    // The copy's search box and admin link go to the live server; the live pages keep their own.
    const home = readFileSync(join(mirrorDir, 'index.html'), 'utf8')
    expect(home).toContain(`action="${LIVE}/search"`)
    expect(home).toContain(`href="${LIVE}/admin"`)
    expect(await (await fetch(`${ts.url}/`)).text()).toContain('action="/search"')
  })

  it('the IndieAuth metadata names the live URL as issuer and for every endpoint (the issuer prefixes its own URL)', async () => {
    const metadata = (await (await fetch(`${ts.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>
    expect(metadata.issuer).toBe(`${LIVE}/`)
    expect(metadata.authorization_endpoint).toBe(`${LIVE}/indieauth/auth`)
    expect(metadata.token_endpoint).toBe(`${LIVE}/indieauth/token`)
    expect(metadata.revocation_endpoint).toBe(`${LIVE}/indieauth/revoke`)
  })

  it('holds a new note, an edit and a deletion once whenCurrent() resolves after each', async () => {
    const { notes } = ts.server.context
    const note = await notes.create({ content: '# Mirrored\n\nFirst version.' })
    expect(await mirror().whenCurrent()).toBe(true)
    const page = join(mirrorDir, 'notes', note.slug, 'index.html')
    expect(readFileSync(page, 'utf8')).toContain('First version.')

    await notes.update(note.slug, { content: '# Mirrored\n\nSecond version.' })
    expect(await mirror().whenCurrent()).toBe(true)
    expect(readFileSync(page, 'utf8')).toContain('Second version.')
    expect(readFileSync(join(mirrorDir, 'feed.json'), 'utf8')).toContain('Second version.')

    await notes.remove(note.slug)
    expect(await mirror().whenCurrent()).toBe(true)
    expect(existsSync(page)).toBe(false)
    expect(existsSync(join(mirrorDir, 'notes', note.slug, 'gone.html'))).toBe(true)
    expect(mirror().last()?.error).toBeNull()
  })
})
