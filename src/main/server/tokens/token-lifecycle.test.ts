import Database from 'better-sqlite3'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, manualClock } from '../../../../test/helpers/admin'
import { createServer, loadConfig } from '../index'
import { createLogging } from '../logging'
import { runMigrations } from '../db/migrate'
import { MIGRATIONS } from '../db/migrations'
import { TEST_ENV_DEFAULTS, type TestServer } from '../../../../test/helpers/server'

const DAY = 86_400_000
const CLIENT = 'https://app.example/'
const REDIRECT = 'https://app.example/callback'

/** A real server whose token clock the test moves (sessions keep real time). */
async function startServer(env: Record<string, string>, clock: { now: () => number }, dataDir = mkdtempSync(join(tmpdir(), 'starpunk-tokens-'))): Promise<TestServer> {
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', ...TEST_ENV_DEFAULTS, ...env } })
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '))
  const lines: string[] = []
  const server = await createServer(config, { logging: { write: (line) => lines.push(line) }, tokens: { now: clock.now } })
  const url = await server.listen()
  return {
    url,
    server,
    dataDir,
    lines,
    async close() {
      await server.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

interface TokenAnswer {
  access_token: string
  refresh_token: string
  expires_in: number
  scope: string
  me: string
}

describe('tokens from the built-in provider: replay, expiry and refresh', () => {
  const clock = manualClock()
  let ts: TestServer

  beforeAll(async () => {
    ts = await startServer({}, clock)
  })
  afterAll(async () => {
    await ts.close()
  })

  /** A code as the consent page issues it, and its verifier. */
  async function newCode(scopes = ['create', 'update']) {
    const verifier = randomBytes(32).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const code = await ts.server.context.tokens.issueCode({ clientId: CLIENT, redirectUri: REDIRECT, scopes, codeChallenge: challenge, codeChallengeMethod: 'S256' })
    return { code, verifier }
  }
  const tokenEndpoint = (fields: Record<string, string>) => fetch(`${ts.url}/indieauth/token`, { method: 'POST', headers: { accept: 'application/json' }, body: new URLSearchParams(fields) })
  const exchange = (code: string, verifier: string) =>
    tokenEndpoint({ grant_type: 'authorization_code', code, client_id: CLIENT, redirect_uri: REDIRECT, code_verifier: verifier })
  const refresh = (refreshToken: string, extra: Record<string, string> = {}) => tokenEndpoint({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT, ...extra })
  const status = async (token: string) => (await fetch(`${ts.url}/micropub?q=config`, { headers: { authorization: `Bearer ${token}` } })).status
  async function signIn(scopes?: string[]): Promise<TokenAnswer & { code: string; verifier: string }> {
    const { code, verifier } = await newCode(scopes)
    const res = await exchange(code, verifier)
    expect(res.status).toBe(200)
    return { ...((await res.json()) as TokenAnswer), code, verifier }
  }

  it('revokes the token issued from a code when the code is replayed (RFC 6749 §4.1.2)', async () => {
    const first = await signIn()
    expect(await status(first.access_token)).toBe(200)
    const replay = await exchange(first.code, first.verifier)
    expect(replay.status).toBe(400)
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant')
    expect(await status(first.access_token)).toBe(401)
    // Its refresh token is dead too.
    expect((await refresh(first.refresh_token)).status).toBe(400)
    expect(ts.lines.some((line) => line.includes('authorization code replayed'))).toBe(true)
    expect(ts.lines.join('\n')).not.toContain(first.code)
  })

  it('a replay without the verifier (a stolen code) revokes too, and so does one after the code was swept', async () => {
    const stolen = await signIn()
    expect((await exchange(stolen.code, 'x'.repeat(43))).status).toBe(400)
    expect(await status(stolen.access_token)).toBe(401)
    const late = await signIn()
    // Codes are swept after their lifetime when a new one is issued; the token still remembers its code.
    clock.advance(11 * 60_000)
    await newCode()
    expect((ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM authorization_codes WHERE code_hash = ?').get(createHash('sha256').update(late.code).digest('hex')) as { n: number }).n).toBe(0)
    expect(await status(late.access_token)).toBe(200)
    expect((await exchange(late.code, late.verifier)).status).toBe(400)
    expect(await status(late.access_token)).toBe(401)
  })

  it('answers with expires_in (the configured lifetime) and a refresh token; the metadata lists the grant', async () => {
    const answer = await signIn()
    expect(answer.expires_in).toBe(90 * 86_400)
    expect(answer.refresh_token).toMatch(/^spr_/)
    expect(answer.refresh_token).not.toBe(answer.access_token)
    const metadata = (await (await fetch(`${ts.url}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] }
    expect(metadata.grant_types_supported).toEqual(['authorization_code', 'refresh_token'])
    // A refresh token is not an access token.
    expect(await status(answer.refresh_token)).toBe(401)
  })

  it('slides: a token in use never expires, one left unused for a lifetime does', async () => {
    const inUse = await signIn()
    const idle = await signIn()
    for (let i = 0; i < 4; i++) {
      clock.advance(60 * DAY)
      expect(await status(inUse.access_token)).toBe(200)
    }
    // 240 days later, still signed in; the idle one expired after 90 days without use.
    expect(await status(idle.access_token)).toBe(401)
  })

  it('refreshes (rotating both tokens) after the access token expired, and ends the sign-in when an old refresh token comes back', async () => {
    const signedIn = await signIn(['create', 'update', 'profile'])
    clock.advance(100 * DAY)
    expect(await status(signedIn.access_token)).toBe(401)
    const res = await refresh(signedIn.refresh_token)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const renewed = (await res.json()) as TokenAnswer & { profile?: { url: string } }
    expect(renewed.me).toBe(`${ts.url}/`)
    expect(renewed.scope).toBe('create update profile')
    expect(renewed.profile?.url).toBe(`${ts.url}/`)
    expect(renewed.refresh_token).not.toBe(signedIn.refresh_token)
    expect(await status(renewed.access_token)).toBe(200)
    // One row per sign-in: the refresh rotated it in place.
    expect((await ts.server.context.tokens.list()).filter((t) => t.clientId === CLIENT && t.revokedAt === null && t.scopes.includes('profile'))).toHaveLength(1)
    // The rotated-away refresh token presented again: it leaked; the sign-in ends.
    const reused = await refresh(signedIn.refresh_token)
    expect(reused.status).toBe(400)
    expect(((await reused.json()) as { error: string }).error).toBe('invalid_grant')
    expect(await status(renewed.access_token)).toBe(401)
    expect((await refresh(renewed.refresh_token)).status).toBe(400)
  })

  it('refuses a refresh for another client, a wider scope, or after two lifetimes unused; narrows scope on request', async () => {
    const a = await signIn(['create', 'update'])
    expect((await refresh(a.refresh_token, { client_id: 'https://other.example/' })).status).toBe(400)
    expect((await refresh(a.refresh_token, { scope: 'create delete' })).status).toBe(400)
    const narrowed = await refresh(a.refresh_token, { scope: 'create' })
    expect(narrowed.status).toBe(200)
    expect(((await narrowed.json()) as TokenAnswer).scope).toBe('create')
    const b = await signIn()
    clock.advance(181 * DAY)
    const expired = await refresh(b.refresh_token)
    expect(expired.status).toBe(400)
    expect(((await expired.json()) as { error_description: string }).error_description).toContain('refresh token')
    const missing = await tokenEndpoint({ grant_type: 'refresh_token', client_id: CLIENT })
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { error: string }).error).toBe('invalid_request')
  })

  it('revoking the refresh token (RFC 7009) ends the access token as well', async () => {
    const c = await signIn()
    expect((await fetch(`${ts.url}/indieauth/revoke`, { method: 'POST', body: new URLSearchParams({ token: c.refresh_token }) })).status).toBe(200)
    expect(await status(c.access_token)).toBe(401)
    expect((await refresh(c.refresh_token)).status).toBe(400)
  })

  it('shows the sliding expiry and the lifetime in /admin/tokens', async () => {
    const admin = await loginAsAdmin(ts)
    await signIn()
    const html = await (await fetch(`${ts.url}/admin/tokens`, { headers: { cookie: admin.cookie, accept: 'text/html' } })).text()
    expect(html).toContain('expires 90 days after it was last used')
    expect(html).toContain('(extended on use)')
    expect(ts.lines.join('\n')).not.toMatch(/spr_[A-Za-z0-9_-]{20}/)
  })
})

describe('token lifetime setting', () => {
  it('STARPUNK_INDIEAUTH_TOKEN_LIFETIME sets expires_in and when an unused token expires', async () => {
    const clock = manualClock()
    const ts = await startServer({ STARPUNK_INDIEAUTH_TOKEN_LIFETIME: '3600' }, clock)
    try {
      const verifier = randomBytes(32).toString('base64url')
      const code = await ts.server.context.tokens.issueCode({ clientId: CLIENT, redirectUri: REDIRECT, scopes: ['create'], codeChallenge: createHash('sha256').update(verifier).digest('base64url'), codeChallengeMethod: 'S256' })
      const res = await fetch(`${ts.url}/indieauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: CLIENT, redirect_uri: REDIRECT, code_verifier: verifier }) })
      const answer = (await res.json()) as TokenAnswer
      expect(answer.expires_in).toBe(3600)
      clock.advance(3601_000)
      expect((await fetch(`${ts.url}/micropub?q=config`, { headers: { authorization: `Bearer ${answer.access_token}` } })).status).toBe(401)
    } finally {
      await ts.close()
    }
    const { problems } = loadConfig({ env: { STARPUNK_DATA_DIR: mkdtempSync(join(tmpdir(), 'starpunk-cfg-')), STARPUNK_INDIEAUTH_TOKEN_LIFETIME: '10' } })
    expect(problems.map((p) => p.message).join(' ')).toContain('STARPUNK_INDIEAUTH_TOKEN_LIFETIME')
  })
})

describe('tokens issued before expiry existed (a database from the previous schema)', () => {
  it('keep working after the upgrade, never expire, and are listed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-old-db-'))
    // The schema as the previous version left it: every migration before this change.
    const old = new Database(join(dataDir, 'starpunk.db'))
    const logging = createLogging({ logLevel: 'ERROR', logFormat: 'json', logDir: join(dataDir, 'logs') }, { write: () => {} })
    const upgrade = MIGRATIONS.findIndex((m) => m.name === '040_indieauth_token_refresh')
    expect(upgrade).toBeGreaterThan(0)
    const previous = MIGRATIONS.slice(0, upgrade)
    runMigrations(old, logging.logger, previous)
    expect((old.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('tokens') as string[]).includes('refresh_hash')).toBe(false)
    const oldToken = `spa_${randomBytes(32).toString('base64url')}`
    const created = Date.UTC(2025, 5, 1)
    old
      .prepare('INSERT INTO tokens (token_hash, source, name, client_id, me, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)')
      .run(createHash('sha256').update(oldToken).digest('hex'), 'indieauth', 'quill.p3k.io', 'https://quill.p3k.io/', 'http://127.0.0.1:8080/', 'create media', created)
    old.close()
    await logging.close()

    const clock = manualClock(Date.UTC(2027, 0, 1))
    const ts = await startServer({}, clock, dataDir)
    try {
      expect(await (await fetch(`${ts.url}/micropub?q=config`, { headers: { authorization: `Bearer ${oldToken}` } })).json()).toHaveProperty('media-endpoint')
      clock.advance(3650 * DAY)
      expect((await fetch(`${ts.url}/micropub?q=config`, { headers: { authorization: `Bearer ${oldToken}` } })).status).toBe(200)
      const row = ts.server.context.db.writer.prepare('SELECT expires_at, refresh_hash FROM tokens WHERE name = ?').get('quill.p3k.io') as { expires_at: number | null; refresh_hash: string | null }
      expect(row).toEqual({ expires_at: null, refresh_hash: null })
      const admin = await loginAsAdmin(ts)
      const html = await (await fetch(`${ts.url}/admin/tokens`, { headers: { cookie: admin.cookie, accept: 'text/html' } })).text()
      expect(html).toMatch(/quill\.p3k\.io[\s\S]*?never/)
      const applied = ts.server.context.db.writer.prepare('SELECT name FROM schema_migrations').pluck().all() as string[]
      expect(applied).toContain('040_indieauth_token_refresh')
    } finally {
      await ts.close()
    }
  })
})
