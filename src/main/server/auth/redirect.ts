/**
 * Where to send someone after login: only a same-site relative path is accepted (no open redirect).
 * Anything else (absolute URLs, protocol-relative `//host`, backslash tricks, control characters) falls back.
 */
export function safeNext(next: unknown, fallback = '/admin'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2000) return fallback
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback
  try {
    const base = 'http://same-site.invalid'
    const url = new URL(next, base)
    if (url.origin !== base) return fallback
    return url.pathname + url.search + url.hash
  } catch {
    return fallback
  }
}

/** The login page address that brings the person back to `next` afterwards. */
export function loginUrl(next: string): string {
  const target = safeNext(next)
  return target === '/admin' ? '/admin/login' : `/admin/login?next=${encodeURIComponent(target)}`
}
