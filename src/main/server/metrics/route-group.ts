/**
 * Route groups: the only thing about a path that becomes a metric label. A pure function of the path, so
 * label cardinality is fixed (ROUTE_GROUPS) whatever visitors or scanners request.
 */
export const ROUTE_GROUPS = ['pages', 'feeds', 'search', 'micropub', 'media', 'webmention', 'admin', 'console', 'health', 'metrics', 'other'] as const
export type RouteGroup = (typeof ROUTE_GROUPS)[number]

const FEEDS = new Set(['/feed', '/feed.rss', '/feed.atom', '/feed.json', '/opml.xml'])

function under(path: string, prefix: string): boolean {
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47 /* '/' */)
}

/** The group of a request path (a query string, if any, is ignored). Dispatches on the first letter: this runs per request. */
export function routeGroup(rawPath: string): RouteGroup {
  const q = rawPath.indexOf('?')
  const path = q === -1 ? rawPath : rawPath.slice(0, q)
  if (path.length <= 1) return path === '/' ? 'pages' : 'other'
  switch (path.charCodeAt(1)) {
    case 110 /* n */:
      return under(path, '/notes') ? 'pages' : 'other'
    case 116 /* t */:
      return under(path, '/tags') ? 'pages' : 'other'
    case 115 /* s */:
      if (under(path, '/static')) return 'pages'
      return path === '/search' ? 'search' : 'other'
    case 102 /* f */:
      if (FEEDS.has(path)) return 'feeds'
      return path === '/favicon.ico' ? 'pages' : 'other'
    case 111 /* o */:
      return path === '/opml.xml' ? 'feeds' : 'other'
    case 114 /* r */:
      return path === '/robots.txt' ? 'pages' : 'other'
    case 104 /* h */:
      return under(path, '/health') ? 'health' : 'other'
    case 109 /* m */:
      if (path === '/metrics') return 'metrics'
      if (under(path, '/micropub')) return 'micropub'
      return under(path, '/media') ? 'media' : 'other'
    case 97 /* a */:
      if (under(path, '/admin/console')) return 'console'
      // Sign-in, tokens and the IndieAuth provider are the author's side of the site, like the admin pages.
      if (under(path, '/admin')) return 'admin'
      return under(path, '/api/search') ? 'search' : 'other'
    case 105 /* i */:
      return under(path, '/indieauth') ? 'admin' : 'other'
    case 46 /* . */:
      return path === '/.well-known/oauth-authorization-server' ? 'admin' : 'other'
    case 119 /* w */:
      return under(path, '/webmention') ? 'webmention' : 'other'
    default:
      return 'other'
  }
}

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const
export type StatusClass = (typeof STATUS_CLASSES)[number]

export function statusClass(status: number): StatusClass {
  if (status >= 500) return '5xx'
  if (status >= 400) return '4xx'
  if (status >= 300) return '3xx'
  if (status >= 200) return '2xx'
  return '1xx'
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** Known methods as they are, anything else (made-up verbs) as OTHER: bounded label values. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'OTHER'
}
