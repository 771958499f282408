import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, loadConfig, type CreateServerOptions, type StarpunkServer } from '../../src/main/server'
import type { LogEntry } from '../../src/shared/contract'
import type { Resolver } from '../../src/main/server/outbound'

export interface TestServer {
  url: string
  server: StarpunkServer
  dataDir: string
  /** Every log line written, parsed (for asserting on logs and redaction). */
  lines: string[]
  close(): Promise<void>
}

/**
 * Test defaults: outbound requests off, so no test reaches another host by accident (notes link to outside
 * URLs). Tests of outbound behaviour turn it on with OUTBOUND_TEST_ENV (loopback servers only).
 */
export const TEST_ENV_DEFAULTS: Readonly<Record<string, string>> = { STARPUNK_FETCH_ENABLED: 'false' }
/** For tests that exercise outbound requests against loopback servers playing the other site. */
export const OUTBOUND_TEST_ENV: Readonly<Record<string, string>> = { STARPUNK_FETCH_ENABLED: 'true', STARPUNK_FETCH_ALLOW_PRIVATE: 'true' }

/**
 * The resolver test servers use unless a test gives its own: `localhost` only. No test looks up an outside
 * name, so even with outbound requests on, nothing can leave this machine by name.
 */
export const loopbackOnlyResolver: Resolver = async (hostname) => {
  if (hostname === 'localhost') return [{ address: '127.0.0.1', family: 4 }]
  throw Object.assign(new Error(`tests resolve no outside host names (${hostname})`), { code: 'ENOTFOUND' })
}

/** A whole real server on a fresh temp data dir, listening on a free loopback port. */
export async function startTestServer(
  env: Record<string, string> = {},
  options: {
    dataDir?: string
    auth?: CreateServerOptions['auth']
    tokens?: CreateServerOptions['tokens']
    outbound?: CreateServerOptions['outbound']
    websub?: CreateServerOptions['websub']
  } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'starpunk-test-'))
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', ...TEST_ENV_DEFAULTS, ...env } })
  if (problems.length > 0) throw new Error(`test config invalid: ${problems.map((p) => p.message).join('; ')}`)
  const lines: string[] = []
  const server = await createServer(config, {
    logging: { write: (line) => lines.push(line) },
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.tokens ? { tokens: options.tokens } : {}),
    ...(options.websub ? { websub: options.websub } : {}),
    outbound: { resolver: loopbackOnlyResolver, ...options.outbound },
  })
  const url = await server.listen()
  return {
    url,
    server,
    dataDir,
    lines,
    async close() {
      await server.close()
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export function parsedLogs(lines: string[]): Array<Partial<LogEntry> & Record<string, unknown>> {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Partial<LogEntry> & Record<string, unknown>]
    } catch {
      return []
    }
  })
}
