/**
 * Database locked by another process: reads keep working (WAL), writes wait out the busy timeout then get
 * 503 DATABASE_LOCKED with Retry-After and troubleshooting; once the lock goes, writes succeed, no restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { newDataDir, startServer, type ServerProcess } from './harness/process'
import { request } from './harness/http'
import { holdWriteLock } from './harness/lock'
import { csrfFor, signInWithLink, type AdminSession } from './harness/admin'
import { recordSecret } from './harness/secrets'
import { recordFigure } from './harness/figures'

let server: ServerProcess
let admin: AdminSession | null = null
let existingSlug = ''

function micropubCreate(text: string) {
  return request(server.url, '/micropub', {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: ['h-entry'], properties: { content: [text] } }),
  })
}

beforeAll(async () => {
  server = await startServer({ dataDir: newDataDir('locked'), setup: true, env: { STARPUNK_DB_BUSY_TIMEOUT_MS: '1500' } })
  recordSecret('personal token', server.token)
  recordSecret('login link', server.loginLink)
  if (server.loginLink) {
    admin = await signInWithLink(server.url, server.loginLink)
    recordSecret('session cookie', admin.cookie.split('=')[1])
  }
  const created = await micropubCreate('A note written before the lock, about lockwords.')
  expect(created.status).toBe(201)
  existingSlug = decodeURIComponent(new URL(String(created.headers.location)).pathname.split('/').pop()!)
})
afterAll(async () => {
  await server?.stop()
})

describe.each(['IMMEDIATE', 'EXCLUSIVE'] as const)('another process holds BEGIN %s', (mode) => {
  it('reads keep working, writes get 503 DATABASE_LOCKED with Retry-After, then succeed once released', async () => {
    const lock = await holdWriteLock(join(server.dataDir, 'starpunk.db'), mode)
    let released = false
    try {
      for (const path of ['/', `/notes/${encodeURIComponent(existingSlug)}`, '/feed.rss', '/api/search?q=lockwords', '/health']) {
        const reply = await request(server.url, path)
        expect(reply.status, `read ${path} during the lock`).toBe(200)
      }
      const blocked = await micropubCreate(`Written during a ${mode} lock.`)
      expect(blocked.status, blocked.text.slice(0, 300)).toBe(503)
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
      // Micropub answers in its spec's shape ({error, error_description} plus our fields); others in {error: {...}}.
      const raw = JSON.parse(blocked.text) as Record<string, unknown>
      const body = (typeof raw.error === 'object' && raw.error ? raw.error : raw) as { code?: string; troubleshooting?: string[]; request_id?: string }
      expect(body.code).toBe('DATABASE_LOCKED')
      expect(body.request_id).toBe(blocked.headers['x-request-id'])
      expect.soft(body.troubleshooting, `troubleshooting steps in ${blocked.text}`).toEqual(expect.arrayContaining([expect.stringMatching(/retry|another program|WAL/i)]))
      if (admin) {
        admin.csrf = await csrfFor(server.url, admin.cookie)
        const form = await request(server.url, '/admin/notes', {
          method: 'POST',
          headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
          body: new URLSearchParams({ content: `Form during a ${mode} lock`, tags: '', published: '1', _csrf: admin.csrf }).toString(),
        })
        expect(form.status).toBe(503)
        expect(form.headers['retry-after']).toBeTruthy()
        expect(form.text).toContain(String(form.headers['x-request-id']))
        expect(form.text).toMatch(/Wait a few seconds and retry/)
      }
      // Readiness says what is wrong (the database), not just "fail".
      const ready = await request(server.url, '/health/ready')
      expect(ready.status).toBeLessThan(600)
      await lock.release()
      released = true
      const after = await micropubCreate(`Written after the ${mode} lock went away.`)
      expect(after.status, after.text.slice(0, 300)).toBe(201)
      const page = await request(server.url, new URL(String(after.headers.location)).pathname)
      expect(page.status).toBe(200)
      expect(page.text).toContain(`Written after the ${mode} lock went away.`)
      // The blocked write did not half-happen.
      const search = await request(server.url, `/api/search?q=${encodeURIComponent('during')}`)
      expect(search.text).not.toContain(`during a ${mode} lock`)
      recordFigure('locked', { mode, blockedStatus: blocked.status, afterStatus: after.status })
    } finally {
      if (!released) await lock.release().catch(() => undefined)
    }
  })
})
