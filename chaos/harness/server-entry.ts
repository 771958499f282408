/**
 * The server process the chaos suite starts, kills and restarts: the same createServer() the CLI and the
 * desktop app use, plus a machine-readable "ready" line on stdout (url, pid) so the harness need not parse
 * human output. With CHAOS_SETUP=1 it also mints what the clients need (a personal Micropub token, a
 * one-time admin login link) through the real services and prints them in that line.
 */
import { createServer, loadConfig } from '../../src/main/server'
import type { AuthService } from '../../src/main/server/auth/types'
import type { TokensService } from '../../src/main/server/tokens/types'

interface ReadyLine {
  chaosReady: true
  url: string
  pid: number
  token?: string
  loginLink?: string
  capabilities: { tokens: boolean; auth: boolean; micropub: boolean }
}

async function main(): Promise<void> {
  const loaded = loadConfig()
  if (loaded.problems.length > 0) {
    process.stderr.write(`chaos entry: config invalid: ${loaded.problems.map((p) => p.message).join('; ')}\n`)
    process.exit(2)
  }
  const server = await createServer(loaded.config)
  const url = await server.listen()
  // Capabilities land while this suite is written: probe them instead of assuming (typed by their contracts).
  const optional = server.context as unknown as { tokens?: TokensService; auth?: AuthService; micropub?: unknown }
  const ready: ReadyLine = {
    chaosReady: true,
    url,
    pid: process.pid,
    capabilities: { tokens: Boolean(optional.tokens), auth: Boolean(optional.auth), micropub: Boolean(optional.micropub) },
  }
  if (process.env.CHAOS_SETUP === '1') {
    if (optional.tokens) {
      const created = await optional.tokens.createPersonal({ name: 'chaos client', scopes: ['create', 'update', 'delete', 'undelete', 'media'], expiresAt: null })
      ready.token = created.token
    }
    if (optional.auth) ready.loginLink = await optional.auth.issueLoginLink()
  }
  server.context.logging.flush()
  process.stdout.write(`\n${JSON.stringify(ready)}\n`)

  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    const guard = setTimeout(() => process.exit(1), 15_000)
    guard.unref()
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  // The suite's memory probe: a full GC, then the figures on stdout (the process runs with --expose-gc).
  process.on('SIGUSR2', () => {
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    gc?.()
    const m = process.memoryUsage()
    process.stdout.write(`\n${JSON.stringify({ chaosHeap: { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss } })}\n`)
  })
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos entry: cannot start: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}\n`)
  process.exit(1)
})
