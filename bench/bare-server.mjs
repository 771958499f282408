// The baseline of every HTTP comparison: a bare node:http server, in its own process, answering each path
// with the exact status, headers and body bytes captured from StarPunk (bench/lib.ts, `captureResponses`).
// A captured conditional response (304) is sent when the request's If-None-Match matches the one it was
// captured with. Plain JavaScript run with `node`, so its start-up is what a bare node:http process costs.
//
// Usage: PORT=<port> node bench/bare-server.mjs [responses.json]   (no file: GET /health answers {"status":"ok"})
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const file = process.argv[2]
/** @type {{ path: string, ifNoneMatch?: string, status: number, headers: [string, string][], body: string }[]} */
const captured = file ? JSON.parse(readFileSync(file, 'utf8')) : [{ path: '/health', status: 200, headers: [['content-type', 'application/json']], body: Buffer.from('{"status":"ok"}').toString('base64') }]

// Per connection or per moment, written by node:http itself on both sides.
const DROPPED = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding'])
const plain = new Map()
const conditional = new Map()
for (const response of captured) {
  const body = Buffer.from(response.body, 'base64')
  const headers = response.headers.filter(([name]) => !DROPPED.has(name.toLowerCase()))
  if (response.status !== 304 && !headers.some(([name]) => name.toLowerCase() === 'content-length')) headers.push(['content-length', String(body.length)])
  // writeHead takes one flat list of names and values; the captured order and case are kept.
  const entry = { status: response.status, flat: headers.flat(), body }
  if (response.ifNoneMatch) conditional.set(`${response.path}\n${response.ifNoneMatch}`, entry)
  else plain.set(response.path, entry)
}

const server = createServer((req, res) => {
  const tag = req.headers['if-none-match']
  const entry = (tag && conditional.get(`${req.url}\n${tag}`)) || plain.get(req.url)
  if (!entry) {
    res.statusCode = 404
    res.end()
    return
  }
  res.writeHead(entry.status, entry.flat)
  res.end(entry.body)
})
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
