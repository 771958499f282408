// Test support: a real HTTP server on 127.0.0.1 playing another site, and an outbound fetch allowed to reach it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createOutbound, type Outbound, type Resolver } from '../../outbound'

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

export interface LoopbackSite {
  /** Origin with no trailing slash: http://127.0.0.1:PORT */
  origin: string
  /** Every request, in order (method, path with query, body). */
  requests: Array<{ method: string; path: string; body: string; headers: IncomingMessage['headers'] }>
  /** Replace the handler for one path (exact, query included when given). */
  route(path: string, handler: Handler): void
  close(): Promise<void>
}

export async function startSite(): Promise<LoopbackSite> {
  const routes = new Map<string, Handler>()
  const requests: LoopbackSite['requests'] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const path = req.url ?? '/'
      requests.push({ method: req.method ?? 'GET', path, body, headers: req.headers })
      const handler = routes.get(path) ?? routes.get(path.split('?')[0] ?? path)
      if (!handler) {
        res.statusCode = 404
        res.end('not here')
        return
      }
      handler(req, res, body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return {
    origin,
    requests,
    route: (path, handler) => void routes.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** An HTML page with optional extra headers. */
export function page(html: string, headers: Record<string, string | string[]> = {}, status = 200): Handler {
  return (_req, res) => {
    res.statusCode = status
    res.setHeader('content-type', 'text/html; charset=utf-8')
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
    res.end(html)
  }
}

/** The outbound fetch as tests use it: on, loopback allowed (STARPUNK_FETCH_ALLOW_PRIVATE=true), short timeout. */
export function testOutbound(overrides: { allowPrivate?: boolean; timeoutMs?: number; maxBodyBytes?: number; resolver?: Resolver } = {}): Outbound {
  return createOutbound({
    enabled: true,
    allowPrivate: overrides.allowPrivate ?? true,
    userAgent: 'StarPunk/test (+http://127.0.0.1/)',
    timeoutMs: overrides.timeoutMs ?? 2_000,
    maxBodyBytes: overrides.maxBodyBytes,
    resolver: overrides.resolver ?? loopbackResolver,
  })
}

/** No test looks up a real name: `localhost` is 127.0.0.1, anything else is an unknown host. */
export const loopbackResolver: Resolver = async (hostname) => {
  if (hostname === 'localhost') return [{ address: '127.0.0.1', family: 4 }]
  throw Object.assign(new Error(`tests resolve no outside host names (${hostname})`), { code: 'ENOTFOUND' })
}
