import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, loadConfig, type StarpunkServer } from '../src/main/server'

describe('server skeleton', () => {
  let dir: string
  let server: StarpunkServer
  let url: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'starpunk-'))
    const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false' } })
    server = await createServer(config, { logging: { write: () => {} } })
    url = await server.listen()
  })
  afterAll(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('renders a 404 page with the request ID', async () => {
    const res = await fetch(`${url}/no-such-page`, { headers: { accept: 'text/html' } })
    expect(res.status).toBe(404)
    const body = await res.text()
    expect(body).toContain(res.headers.get('x-request-id'))
  })
})
