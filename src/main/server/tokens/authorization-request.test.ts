import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { hiddenFields } from '../../../../test/helpers/consent'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

// The authorization endpoint before consent: every problem is a page for the person, never a redirect
// (RFC 9700 §4.11), and the client's identity and redirect follow IndieAuth §4.2 and RFC 8252 §7.3.
// None of these requests needs a client document: no outbound request is made.
describe('authorization endpoint: checks before consent', () => {
  let ts: TestServer
  let admin: AdminLogin
  let challenge: string

  beforeAll(async () => {
    ts = await startTestServer()
    admin = await loginAsAdmin(ts)
    challenge = pkce().challenge
  })
  afterAll(async () => {
    await ts.close()
  })

  const authorize = (params: Record<string, string>, signedIn = true) => {
    const url = new URL(`${ts.url}/indieauth/auth`)
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    return fetch(url, { headers: { accept: 'text/html', ...(signedIn ? { cookie: admin.cookie } : {}) }, redirect: 'manual' })
  }
  const valid = (overrides: Record<string, string> = {}) => ({
    response_type: 'code',
    client_id: 'https://app.example/',
    redirect_uri: 'https://app.example/callback',
    state: 'abc',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: 'create',
    ...overrides,
  })

  /** An error page for a person: 400, HTML, no Location, the reason in words, and the request ID. */
  async function expectErrorPage(res: Response, reason: string | RegExp) {
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
    expect(res.headers.get('content-type')).toContain('text/html')
    const html = await res.text()
    expect(html).toMatch(reason)
    expect(html).toContain(res.headers.get('x-request-id')!)
  }

  it('never redirects an invalid request to the client, signed in or not (our origin is no redirector)', async () => {
    // The attack: an unsigned visitor is sent here with a client of the attacker's choosing and no PKCE.
    const phish = { client_id: 'https://evil.example/', redirect_uri: 'https://evil.example/phish', response_type: 'code' }
    await expectErrorPage(await authorize(phish, false), 'PKCE')
    await expectErrorPage(await authorize(phish, true), 'PKCE')
    await expectErrorPage(await authorize(valid({ response_type: 'token' }), false), 'response_type')
    await expectErrorPage(await authorize(valid({ code_challenge_method: 'plain' })), 'PKCE')
    await expectErrorPage(await authorize(valid({ code_challenge: 'short' })), 'code_challenge')
  })

  it('requires state', async () => {
    const { state: _state, ...withoutState } = valid()
    await expectErrorPage(await authorize(withoutState), 'state is missing')
    await expectErrorPage(await authorize(valid({ state: '' })), 'state is missing')
  })

  it('refuses client_ids with a fragment, user info, dot segments or a non-loopback IP address', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['https://app.example/#x', 'https://app.example/callback', /fragment/],
      ['https://user:pw@app.example/', 'https://app.example/callback', /user name or password/],
      ['https://app.example/a/../b', 'https://app.example/callback', /path segments/],
      ['https://app.example/%2e/b', 'https://app.example/callback', /path segments/],
      ['http://10.0.0.7/', 'http://10.0.0.7/callback', /IP addresses/],
      ['http://[2001:db8::1]/', 'http://[2001:db8::1]/callback', /IP addresses/],
      ['http://127.0.0.2/', 'http://127.0.0.2/callback', /IP addresses/],
      ['ftp://app.example/', 'ftp://app.example/callback', /http\(s\)/],
    ]
    for (const [clientId, redirectUri, reason] of cases) await expectErrorPage(await authorize(valid({ client_id: clientId, redirect_uri: redirectUri })), reason)
  })

  it('refuses redirect URIs with a fragment, user info or a script scheme', async () => {
    await expectErrorPage(await authorize(valid({ redirect_uri: 'https://app.example/callback#frag' })), /fragment/)
    await expectErrorPage(await authorize(valid({ redirect_uri: 'https://u:p@app.example/callback' })), /user name or password/)
    await expectErrorPage(await authorize(valid({ redirect_uri: 'javascript:alert(1)' })), /javascript: scheme/)
  })

  it('trusts a redirect_uri without asking only on the same scheme, host and port as client_id', async () => {
    // Same origin: the consent page.
    expect((await authorize(valid())).status).toBe(200)
    // Host equal, scheme or port not: not the same client (the old check compared hosts only).
    await expectErrorPage(await authorize(valid({ redirect_uri: 'http://app.example/callback' })), /not on the origin of client_id/)
    await expectErrorPage(await authorize(valid({ redirect_uri: 'https://app.example:8443/callback' })), /not on the origin of client_id/)
    await expectErrorPage(await authorize(valid({ redirect_uri: 'https://other.example/callback' })), /not on the origin of client_id/)
  })

  it('lets a loopback client pick its redirect port (RFC 8252 §7.3), on its own loopback host only', async () => {
    expect((await authorize(valid({ client_id: 'http://127.0.0.1:3000/', redirect_uri: 'http://127.0.0.1:51234/callback' }))).status).toBe(200)
    expect((await authorize(valid({ client_id: 'http://[::1]:3000/', redirect_uri: 'http://[::1]:40000/cb' }))).status).toBe(200)
    await expectErrorPage(await authorize(valid({ client_id: 'http://127.0.0.1:3000/', redirect_uri: 'http://[::1]:51234/callback' })), /not on the origin/)
    await expectErrorPage(await authorize(valid({ client_id: 'https://app.example/', redirect_uri: 'http://127.0.0.1:51234/callback' })), /not on the origin/)
  })

  it('refuses a consent form whose fields were changed after the checks (a swapped redirect_uri)', async () => {
    const page = await authorize(valid())
    expect(page.status).toBe(200)
    const fields = hiddenFields(await page.text())
    fields.set('redirect_uri', 'https://app.example.evil.example/callback')
    fields.set('decision', 'approve')
    fields.append('scope', 'create')
    const codesBefore = (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM authorization_codes').get() as { n: number }).n
    const res = await fetch(`${ts.url}/indieauth/auth/consent`, { method: 'POST', headers: { cookie: admin.cookie, accept: 'text/html' }, body: fields, redirect: 'manual' })
    await expectErrorPage(res, /does not match/)
    expect((ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM authorization_codes').get() as { n: number }).n).toBe(codesBefore)
  })

  it('grants only the boxes left ticked, also when exactly one of several is left', async () => {
    const page = await authorize(valid({ scope: 'create media update' }))
    const fields = hiddenFields(await page.text())
    fields.set('decision', 'approve')
    fields.append('scope', 'media')
    const back = await fetch(`${ts.url}/indieauth/auth/consent`, { method: 'POST', headers: { cookie: admin.cookie }, body: fields, redirect: 'manual' })
    expect(back.status).toBe(302)
    const code = new URL(back.headers.get('location')!).searchParams.get('code')!
    const row = ts.server.context.db.writer.prepare('SELECT scope FROM authorization_codes WHERE code_hash = ?').get(createHash('sha256').update(code).digest('hex')) as { scope: string }
    expect(row.scope).toBe('media')
  })

  it('checks that code_verifier has 43 to 128 characters at the token endpoint', async () => {
    const { verifier, challenge: own } = pkce()
    const page = await authorize(valid({ code_challenge: own }))
    const fields = hiddenFields(await page.text())
    fields.set('decision', 'approve')
    fields.append('scope', 'create')
    const back = await fetch(`${ts.url}/indieauth/auth/consent`, { method: 'POST', headers: { cookie: admin.cookie }, body: fields, redirect: 'manual' })
    const code = new URL(back.headers.get('location')!).searchParams.get('code')!
    const exchange = (codeVerifier: string) =>
      fetch(`${ts.url}/indieauth/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: 'https://app.example/', redirect_uri: 'https://app.example/callback', code_verifier: codeVerifier }),
      })
    for (const bad of ['x'.repeat(42), 'x'.repeat(129), `${'x'.repeat(42)} `]) {
      const res = await exchange(bad)
      expect(res.status).toBe(400)
      const body = (await res.json()) as Record<string, string>
      expect(body.error).toBe('invalid_request')
      expect(body.error_description).toContain('43 to 128')
    }
    // The refusals did not spend the code: the right verifier still redeems it.
    const ok = await exchange(verifier)
    expect(ok.status).toBe(200)
  })
})
