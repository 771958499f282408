const BASE = 'http://same-site.invalid'

/** A path a browser resolves against our own origin: one leading slash, never `//host` or `/\host`. */
function isSameOriginPath(path: string): boolean {
  return path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\')
}

/**
 * Where to send someone after login: only a same-site relative path is accepted (no open redirect).
 * Anything else (absolute URLs, protocol-relative `//host`, backslash tricks, control characters) falls back.
 * The check runs on the normalised result too: dot segments and encoded dots (`/.//evil`, `/%2e//evil`)
 * resolve to `//evil`, which a browser reads as another host.
 */
export function safeNext(next: unknown, fallback = '/admin'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2000) return fallback
  if (!isSameOriginPath(next)) return fallback
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback
  try {
    const url = new URL(next, BASE)
    if (url.origin !== BASE) return fallback
    const normalised = url.pathname + url.search + url.hash
    if (!isSameOriginPath(normalised)) return fallback
    // What we send must resolve to itself, on any origin: no second round of normalisation can move it.
    const again = new URL(normalised, BASE)
    if (again.origin !== BASE || again.pathname + again.search + again.hash !== normalised) return fallback
    return normalised
  } catch {
    return fallback
  }
}

/** The login page address that brings the person back to `next` afterwards. */
export function loginUrl(next: string): string {
  const target = safeNext(next)
  return target === '/admin' ? '/admin/login' : `/admin/login?next=${encodeURIComponent(target)}`
}
