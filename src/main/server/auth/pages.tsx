import type { Config } from '../config'
import { Layout, renderPage } from '../web'

export interface LoginPageProps {
  config: Config
  next: string
  /** Set when already signed in. */
  signedInAs: string | null
}

/** The login page: IndieAuth for ADMIN_ME when configured, and how to get a one-time link. Works without JavaScript. */
export function renderLoginPage({ config, next, signedInAs }: LoginPageProps): string {
  return renderPage(
    <Layout config={config} title="Sign in">
      <section className="admin-login">
        <h1>Sign in</h1>
        {signedInAs && (
          <p className="notice">
            You are already signed in as <strong>{signedInAs}</strong>. <a href={next}>Continue</a>
          </p>
        )}
        {config.adminMe ? (
          <form method="post" action="/admin/login">
            <input type="hidden" name="next" value={next} />
            <p>
              Sign in with your own website, <strong>{config.adminMe}</strong>, through its IndieAuth server.
            </p>
            <button type="submit">Sign in with IndieAuth</button>
          </form>
        ) : (
          <p>
            IndieAuth sign-in is off because no admin identity is set. Set <code>STARPUNK_ADMIN_ME</code> to your site's URL to enable it.
          </p>
        )}
        <h2>One-time link</h2>
        <p>
          On the machine running StarPunk, <code>npm run serve</code> prints a one-time login link at startup, and the desktop app opens one
          for you with “Open admin”. Each link works once and expires after a few minutes.
        </p>
      </section>
    </Layout>,
  )
}
