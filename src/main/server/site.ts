/**
 * The one rule for the site's absolute base URL (no trailing slash): the configured site URL, unless it
 * names port 0 ("any free port", tests and first runs), which only the bound socket can turn into a real
 * address. createServer binds before it wires anything, so every capability gets the final base.
 */
export function siteBaseFor(siteUrl: string, listeningUrl: string): string {
  return /:0$/.test(siteUrl) ? listeningUrl : siteUrl
}

/** The URL a socket bound to host:port answers on (IPv6 literals in brackets). */
export function listeningUrlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}
