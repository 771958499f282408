import type { Clock } from './clock'

export interface LoginFormTargetDeps {
  /** IndieAuth discovery for the configured ADMIN_ME (the authorization endpoint the login form ends at). */
  discover: (me: string) => Promise<{ authorizationEndpoint: string }>
  clock: Clock
  /** How long a discovered endpoint is reused for page views, ms. */
  successMs?: number
  /** How long a failed discovery is remembered before a page view tries again, ms. */
  failureMs?: number
  /** How long a login page waits for a discovery in flight before it is sent without it, ms. */
  waitMs?: number
}

/**
 * Where the login form's POST will be redirected: the origin of ADMIN_ME's authorization endpoint, which the
 * login page must allow in its `form-action` before the form is sent. ADMIN_ME is fixed configuration, and
 * the answer is remembered (a sign-in start refreshes it), so visitors opening the login page cannot make
 * the server fetch it more than once every few minutes.
 */
export function createLoginFormTarget(deps: LoginFormTargetDeps) {
  const successMs = deps.successMs ?? 10 * 60_000
  const failureMs = deps.failureMs ?? 60_000
  const waitMs = deps.waitMs ?? 3_000
  let known: { me: string; target: URL | null; until: number } | null = null
  let inFlight: { me: string; promise: Promise<URL | null> } | null = null

  function remember(me: string, endpoint: string | null): URL | null {
    let target: URL | null
    try {
      target = endpoint ? new URL(endpoint) : null
    } catch {
      target = null
    }
    known = { me, target, until: deps.clock() + (target ? successMs : failureMs) }
    return target
  }

  return {
    /** A sign-in just discovered the endpoint: page views reuse it. */
    remember(me: string, endpoint: string): void {
      remember(me, endpoint)
    },
    /** The target for the login page, or null when it is not known (yet): the page is then sent with `'self'` only. */
    async target(me: string): Promise<URL | null> {
      if (known && known.me === me && known.until > deps.clock()) return known.target
      if (!inFlight || inFlight.me !== me) {
        const promise = deps.discover(me).then(
          (endpoints) => remember(me, endpoints.authorizationEndpoint),
          () => remember(me, null),
        )
        inFlight = { me, promise }
        void promise.finally(() => {
          if (inFlight?.promise === promise) inFlight = null
        })
      }
      // A slow identity site must not hold the login page for long; the discovery still completes for the next view.
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), waitMs)
        timer.unref()
      })
      try {
        return await Promise.race([inFlight.promise, timeout])
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
