import { request } from 'node:http'

export interface RawResponse {
  status: number
  /** Header names lowercased, as Node gives them; repeated headers joined by Node's rules. */
  headers: Record<string, string | string[] | undefined>
  /** [name, value, name, value, ...] exactly as sent (case and order). */
  rawHeaders: string[]
  /** The body bytes as they came over the wire (not decompressed, unlike fetch()). */
  body: Buffer
}

/** One request over real HTTP with exactly the headers given (fetch() adds Accept-Encoding and decodes). */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}
