import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appError } from '../errors'
import { createLogging } from '../logging'
import { oauthErrorHandler, requireScope } from './http'
import type { TokenGrant } from './types'

const grant: TokenGrant = { me: 'https://me.example/', scopes: ['update'], clientId: 'https://app.example/', source: 'personal', id: 1 }

// A real app on loopback with the real OAuth error handler, and routes that throw what the token checks throw.
let server: Server
let base: string

beforeAll(async () => {
  const logging = createLogging({ logLevel: 'CRITICAL', logFormat: 'json', logDir: '/nonexistent' }, { write: () => {} })
  const app = express()
  app.get('/needs-media', () => requireScope(grant, 'media'))
  // A message in other words (no quoted scope in it): the scope is data on the error, not text to dig out.
  app.get('/reworded', () => {
    throw appError('INSUFFICIENT_SCOPE', { vars: { scope: 'update' }, scope: 'update', message: 'Editing posts needs the update scope.' })
  })
  // A quoted word in a message is not a scope.
  app.get('/quoted', () => {
    throw appError('BAD_REQUEST', { vars: { detail: 'the property "name" must be text.' } })
  })
  app.use(oauthErrorHandler(logging.logger))
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

async function errorBody(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(base + path)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('OAuth errors carry the missing scope as data', () => {
  it('names the scope a token lacks', async () => {
    const { status, body } = await errorBody('/needs-media')
    expect(status).toBe(403)
    expect(body.error).toBe('insufficient_scope')
    expect(body.scope).toBe('media')
  })

  it('names it even when the message says it in other words', async () => {
    const { status, body } = await errorBody('/reworded')
    expect(status).toBe(403)
    expect(body.error_description).toBe('Editing posts needs the update scope.')
    expect(body.scope).toBe('update')
  })

  it('gives no scope on other errors, whatever their message quotes', async () => {
    const { status, body } = await errorBody('/quoted')
    expect(status).toBe(400)
    expect(body).not.toHaveProperty('scope')
  })
})
