import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../config'
import { createServer, type StarpunkServer } from '../create-server'
import { LOG_FILE_NAME } from './logging'

const HEALTH_TOKEN = 'logs-readiness-health-token-42'

let dataDir: string
let server: StarpunkServer | null = null
afterEach(async () => {
  await server?.close()
  server = null
  rmSync(dataDir, { recursive: true, force: true })
})

/** A real server with real file logging (console off), on a temp data dir. */
async function start(env: Record<string, string> = {}) {
  dataDir = mkdtempSync(join(tmpdir(), 'starpunk-logs-ready-'))
  const logDir = join(dataDir, 'logs')
  writeFileSync(logDir, 'not a directory')
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_HEALTH_TOKEN: HEALTH_TOKEN, STARPUNK_FETCH_ENABLED: 'false', ...env } })
  expect(problems).toEqual([])
  const stderr: string[] = []
  server = await createServer(config, { logging: { console: false, stderr: { write: (s: string) => stderr.push(s) } } })
  const url = await server.listen()
  const ready = async () => {
    const res = await fetch(`${url}/health/ready`, { headers: { authorization: `Bearer ${HEALTH_TOKEN}` } })
    const body = (await res.json()) as { status: string; checks: Record<string, Array<{ status: string; output?: string }>> }
    return { status: res.status, body, logs: body.checks['logs:file']?.[0] }
  }
  return { url, logDir, stderr, ready }
}

describe('the logs readiness component on a real server', () => {
  it('starts with a file where the log dir should be, names logs (warn, still 200), then passes and writes once repaired', async () => {
    const { url, logDir, stderr, ready } = await start()
    expect((await fetch(`${url}/`)).status).toBe(200)
    expect(stderr.join('')).toMatch(/cannot write the log file .*\(ENOTDIR\)/)

    const broken = await ready()
    expect(broken.status).toBe(200)
    expect(broken.body.status).toBe('warn')
    expect(broken.logs?.status).toBe('fail')
    expect(broken.logs?.output).toMatch(/The log directory is not writable \(ENOTDIR\)/)
    expect(broken.logs?.output).not.toContain(dataDir)

    rmSync(logDir)
    mkdirSync(logDir)
    const fixed = await ready()
    expect(fixed.logs?.status).toBe('pass')
    expect(fixed.body.status).not.toBe('fail')
    // Lines after the repair reach the file, without a restart (the request ID marks this very request).
    expect((await (await fetch(`${url}/`, { headers: { 'x-request-id': 'after-repair-1' } })).text()).length).toBeGreaterThan(0)
    server?.context.logging.flush()
    expect(readFileSync(join(logDir, LOG_FILE_NAME), 'utf8')).toContain('"requestId":"after-repair-1"')
    expect(stderr.join('')).toMatch(/writable again; file logging resumed/)
  })

  it('with file logging off there is no logs component and no log directory is touched', async () => {
    const { ready, logDir } = await start({ STARPUNK_LOG_FILES: 'false' })
    const report = await ready()
    expect(report.logs).toBeUndefined()
    expect(Object.keys(report.body.checks).some((key) => key.startsWith('logs'))).toBe(false)
    // Still the file the test put there: nothing tried to replace it.
    expect(readFileSync(logDir, 'utf8')).toBe('not a directory')
    expect(existsSync(join(logDir, LOG_FILE_NAME))).toBe(false)
  })
})
