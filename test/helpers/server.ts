import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, loadConfig, type CreateServerOptions, type StarpunkServer } from '../../src/main/server'
import type { LogEntry } from '../../src/shared/contract'

export interface TestServer {
  url: string
  server: StarpunkServer
  dataDir: string
  /** Every log line written, parsed (for asserting on logs and redaction). */
  lines: string[]
  close(): Promise<void>
}

/** A whole real server on a fresh temp data dir, listening on a free loopback port. */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { dataDir?: string; auth?: CreateServerOptions['auth'] } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'starpunk-test-'))
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', ...env } })
  if (problems.length > 0) throw new Error(`test config invalid: ${problems.map((p) => p.message).join('; ')}`)
  const lines: string[] = []
  const server = await createServer(config, { logging: { write: (line) => lines.push(line) }, ...(options.auth ? { auth: options.auth } : {}) })
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
