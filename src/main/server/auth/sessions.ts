import type { Db } from '../db'
import type { Logger } from '../logging'
import type { Clock } from './clock'
import { hmacToken, randomToken, sha256Hex } from './crypto'
import type { AdminSession } from './types'

export interface SessionStoreOptions {
  db: Db
  logger: Logger
  clock: Clock
  /** Secret for deriving each session's CSRF token. */
  secret: string
  /** Idle timeout, seconds (sliding on use). */
  timeoutSeconds: number
  /** Absolute maximum age, seconds. */
  maxAgeSeconds: number
}

interface SessionRow {
  id: number
  token_hash: string
  me: string
  created_at: number
  last_used_at: number
  expires_at: number
  absolute_expires_at: number
}

export interface CreatedSession {
  /** The raw token for the cookie; only its hash is stored. */
  token: string
  session: AdminSession
}

/**
 * Server-side sessions. The cookie carries a random token; the table keeps its SHA-256 only.
 * A session ends at the earlier of: idle timeout since last use, or the absolute maximum since login.
 */
export class SessionStore {
  private readonly idleMs: number
  private readonly maxAgeMs: number
  /** Last-use writes are throttled: at most one per this many ms per session (never more than a tenth of the timeout). */
  readonly touchIntervalMs: number

  constructor(private readonly options: SessionStoreOptions) {
    this.idleMs = options.timeoutSeconds * 1000
    this.maxAgeMs = options.maxAgeSeconds * 1000
    this.touchIntervalMs = Math.max(1000, Math.min(60_000, Math.floor(this.idleMs / 10)))
  }

  /** A fresh session with a fresh token (never reuses one: no session fixation). */
  async create(me: string): Promise<CreatedSession> {
    const now = this.options.clock()
    const token = randomToken()
    const tokenHash = sha256Hex(token)
    const absoluteExpiresAt = now + this.maxAgeMs
    const expiresAt = Math.min(now + this.idleMs, absoluteExpiresAt)
    const id = await this.options.db.write((conn) => {
      const result = conn
        .prepare('INSERT INTO sessions (token_hash, me, created_at, last_used_at, expires_at, absolute_expires_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(tokenHash, me, now, now, expiresAt, absoluteExpiresAt)
      return Number(result.lastInsertRowid)
    })
    this.options.logger.info('session created', { sessionId: id, me, timeoutSeconds: this.options.timeoutSeconds })
    return { token, session: { id, me, csrfToken: this.csrfFor(tokenHash), expiresAt } }
  }

  /**
   * The live session for a cookie token, or null. Slides the idle expiry on use, writing at most once
   * per touchIntervalMs, so a page with many requests costs one read each and rarely a write.
   */
  async validate(token: string): Promise<AdminSession | null> {
    if (!token || token.length > 200) return null
    const tokenHash = sha256Hex(token)
    const row = await this.options.db.get<SessionRow>(
      'SELECT id, token_hash, me, created_at, last_used_at, expires_at, absolute_expires_at FROM sessions WHERE token_hash = ?',
      [tokenHash],
    )
    if (!row) return null
    const now = this.options.clock()
    const idleDeadline = Math.min(row.last_used_at + this.idleMs, row.absolute_expires_at)
    if (now >= idleDeadline || now >= row.expires_at) return null
    let expiresAt = row.expires_at
    if (now - row.last_used_at >= this.touchIntervalMs) {
      expiresAt = Math.min(now + this.idleMs, row.absolute_expires_at)
      await this.options.db.write((conn) =>
        conn.prepare('UPDATE sessions SET last_used_at = ?, expires_at = ? WHERE id = ?').run(now, expiresAt, row.id),
      )
    }
    return { id: row.id, me: row.me, csrfToken: this.csrfFor(row.token_hash), expiresAt }
  }

  async destroy(token: string): Promise<boolean> {
    const tokenHash = sha256Hex(token)
    const changes = await this.options.db.write((conn) => conn.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash).changes)
    if (changes > 0) this.options.logger.info('session destroyed')
    return changes > 0
  }

  async destroyById(id: number): Promise<boolean> {
    const changes = await this.options.db.write((conn) => conn.prepare('DELETE FROM sessions WHERE id = ?').run(id).changes)
    if (changes > 0) this.options.logger.info('session destroyed', { sessionId: id })
    return changes > 0
  }

  /** Delete sessions past either deadline; returns how many went. */
  async cleanup(): Promise<number> {
    const now = this.options.clock()
    return this.options.db.write(
      (conn) =>
        conn
          .prepare('DELETE FROM sessions WHERE expires_at <= ? OR absolute_expires_at <= ? OR last_used_at + ? <= ?')
          .run(now, now, this.idleMs, now).changes,
    )
  }

  async count(): Promise<number> {
    const row = await this.options.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sessions')
    return row?.n ?? 0
  }

  /** The CSRF token is bound to the session: derived from its token hash, so it changes at every login. */
  private csrfFor(tokenHash: string): string {
    return hmacToken(this.options.secret, 'csrf', tokenHash)
  }
}
