import type { AdminSession } from '../auth'
import type { Config } from '../config'
import { Layout, renderPage } from '../web'
import { MICROPUB_SCOPES, type TokenSummary } from './types'

const SCOPE_TEXT: Record<string, string> = {
  create: 'create new posts',
  update: 'edit posts',
  delete: 'delete posts',
  undelete: 'restore deleted posts',
  media: 'upload images',
  profile: 'see your name and site URL',
  email: 'see your email address',
}

function CsrfField({ session }: { session: AdminSession }) {
  return <input type="hidden" name="_csrf" value={session.csrfToken} />
}

function lifetimeText(seconds: number): string {
  const days = seconds / 86_400
  if (Number.isInteger(days)) return days === 1 ? '1 day' : `${days} days`
  const hours = Math.round(seconds / 3600)
  return hours >= 1 ? (hours === 1 ? '1 hour' : `${hours} hours`) : `${Math.round(seconds / 60)} minutes`
}

function when(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
}

export interface TokensPageProps {
  config: Config
  session: AdminSession
  tokens: TokenSummary[]
  /** The value of a just-created token: shown exactly once. */
  created?: { name: string; token: string } | null
  notice?: string | null
  error?: string | null
  now: number
}

export function renderTokensPage(props: TokensPageProps): string {
  const { config, session, tokens, created, notice, error, now } = props
  return renderPage(
    <Layout config={config} title="Tokens" session={session} head={<meta name="robots" content="noindex" />}>
      <nav className="admin-nav" aria-label="Admin">
        <a href="/admin">Notes</a> · <a href="/admin/tokens">Tokens</a> · <a href="/admin/console/">Console</a>
      </nav>
      <h1>Tokens for Micropub clients</h1>
      {notice && <p role="status" className="notice">{notice}</p>}
      {error && <p role="alert" className="error">{error}</p>}
      {created && (
        <section className="new-token" aria-labelledby="new-token-heading">
          <h2 id="new-token-heading">New token “{created.name}”</h2>
          <p>Copy it now: it is shown only this once and stored only as a hash.</p>
          <p>
            <label htmlFor="new-token-value">Token</label>{' '}
            <input id="new-token-value" className="token-value" readOnly value={created.token} size={60} />
          </p>
        </section>
      )}
      <section aria-labelledby="create-heading">
        <h2 id="create-heading">Create a personal token</h2>
        <form method="post" action="/admin/tokens">
          <CsrfField session={session} />
          <p>
            <label htmlFor="token-name">Name</label> <input id="token-name" name="name" required maxLength={100} placeholder="e.g. iA Writer" />
          </p>
          <fieldset>
            <legend>Scopes</legend>
            {MICROPUB_SCOPES.map((scope) => (
              <label key={scope} className="scope">
                <input type="checkbox" name="scope" value={scope} defaultChecked={scope === 'create' || scope === 'media'} /> {scope} ({SCOPE_TEXT[scope]})
              </label>
            ))}
          </fieldset>
          <p>
            <label htmlFor="token-expiry">Expires after</label>{' '}
            <select id="token-expiry" name="expires_in_days" defaultValue="">
              <option value="">never</option>
              <option value="7">7 days</option>
              <option value="30">30 days</option>
              <option value="90">90 days</option>
              <option value="365">1 year</option>
            </select>
          </p>
          <button type="submit">Create token</button>
        </form>
      </section>
      <section aria-labelledby="list-heading">
        <h2 id="list-heading">Your tokens</h2>
        <p className="token-lifetime">
          Apps you sign in to through this site get a token that expires {lifetimeText(config.indieauth.tokenLifetimeSeconds)} after it was last used, and a refresh
          token to renew it (STARPUNK_INDIEAUTH_TOKEN_LIFETIME). Signed-in apps from before expiries existed keep tokens that never expire: revoke them here.
        </p>
        {tokens.length === 0 ? (
          <p>No tokens yet.</p>
        ) : (
          <table className="tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Source</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => {
                const expired = t.expiresAt !== null && t.expiresAt <= now
                return (
                  <tr key={t.id} data-token-id={t.id}>
                    <td>{t.name}</td>
                    <td>{t.source === 'personal' ? 'personal' : `signed in (${t.clientId ?? 'client'})`}</td>
                    <td>{t.scopes.join(' ')}</td>
                    <td>{when(t.createdAt)}</td>
                    <td>{when(t.lastUsedAt)}</td>
                    <td>{t.expiresAt === null ? 'never' : t.source === 'indieauth' ? `${when(t.expiresAt)} (extended on use)` : when(t.expiresAt)}</td>
                    <td>
                      {t.revokedAt !== null ? (
                        `revoked ${when(t.revokedAt)}`
                      ) : expired ? (
                        'expired'
                      ) : (
                        <form method="post" action={`/admin/tokens/${t.id}/revoke`} className="inline-form">
                          <CsrfField session={session} />
                          <button type="submit">Revoke</button>
                        </form>
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </section>
    </Layout>,
  )
}

export interface ConsentPageProps {
  config: Config
  session: AdminSession
  clientId: string
  redirectUri: string
  state: string
  scopes: string[]
  codeChallenge: string
  me: string
  /** Proves on POST that the hidden fields are the request that was checked and shown. */
  approval: string
}

export function renderConsentPage(props: ConsentPageProps): string {
  const { config, session, clientId, redirectUri, state, scopes, codeChallenge, me, approval } = props
  return renderPage(
    <Layout config={config} title="Sign in to an app" session={session} head={<meta name="robots" content="noindex" />}>
      <h1>Sign in to an app</h1>
      <p>
        The app <strong className="client-id">{clientId}</strong> asks to sign in as <strong>{me}</strong>.
      </p>
      <p>
        You will be sent back to <code className="redirect-uri">{redirectUri}</code>.
      </p>
      <form method="post" action="/indieauth/auth/consent">
        <CsrfField session={session} />
        <input type="hidden" name="client_id" value={clientId} />
        <input type="hidden" name="redirect_uri" value={redirectUri} />
        <input type="hidden" name="state" value={state} />
        <input type="hidden" name="code_challenge" value={codeChallenge} />
        <input type="hidden" name="code_challenge_method" value="S256" />
        <input type="hidden" name="requested_scope" value={scopes.join(' ')} />
        <input type="hidden" name="_approval" value={approval} />
        {scopes.length > 0 ? (
          <fieldset>
            <legend>It may</legend>
            {scopes.map((scope) => (
              <label key={scope} className="scope">
                <input type="checkbox" name="scope" value={scope} defaultChecked /> {scope} ({SCOPE_TEXT[scope] ?? scope})
              </label>
            ))}
          </fieldset>
        ) : (
          <p>It asks only to confirm who you are; it cannot post.</p>
        )}
        <button type="submit" name="decision" value="approve">
          Allow
        </button>{' '}
        <button type="submit" name="decision" value="deny">
          Deny
        </button>
      </form>
    </Layout>,
  )
}
