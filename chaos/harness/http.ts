/** Plain HTTP for the suite: node:http with full control of method, headers and raw bytes; a hard timeout. */
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  text: string
}

export interface RequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: Buffer | string
  timeoutMs?: number
}

export function escapeUnsendable(path: string): string {
  return path.replace(/[^\x21-\x7e]/gu, (ch) => [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))
}

/** Header values node refuses to send (outside latin1 printable) become '?': the server still sees junk. */
function sendableHeaders(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace(/[^\t\x20-\x7e\x80-\xff]/gu, '?')]))
}

export function request(baseUrl: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const base = new URL(baseUrl)
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: options.method ?? 'GET',
        // `path` is sent as given (fuzzed paths must not be normalised by URL parsing); only bytes node
        // refuses to put on the wire (space, controls, non-ASCII) are percent-encoded.
        path: escapeUnsendable(path),
        headers: { connection: 'close', ...sendableHeaders(options.headers) },
        timeout: options.timeoutMs ?? 20_000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') })
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`timeout: ${options.method ?? 'GET'} ${path}`)))
    req.on('error', reject)
    if (options.body !== undefined) req.end(options.body)
    else req.end()
  })
}

/** Send raw bytes on a TCP connection and read until the server closes it (bounded). */
export function rawRequest(baseUrl: string, bytes: Buffer, timeoutMs = 10_000): Promise<string> {
  const base = new URL(baseUrl)
  return new Promise<string>((resolve) => {
    const socket = connect(Number(base.port), base.hostname)
    const chunks: Buffer[] = []
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'))
    socket.setTimeout(timeoutMs, () => socket.destroy())
    socket.on('connect', () => socket.end(bytes))
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('close', done)
    socket.on('error', () => undefined)
  })
}

/** Status of a raw HTTP response, or 0 when there was none. */
export function rawStatus(response: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(response)
  return m ? Number(m[1]) : 0
}

export async function readiness(baseUrl: string, healthToken?: string): Promise<Reply & { json: Record<string, unknown> }> {
  const reply = await request(baseUrl, '/health/ready', { headers: healthToken ? { authorization: `Bearer ${healthToken}` } : {} })
  let json: Record<string, unknown> = {}
  try {
    json = JSON.parse(reply.text) as Record<string, unknown>
  } catch {
    // Left empty: the caller asserts on it.
  }
  return { ...reply, json }
}
