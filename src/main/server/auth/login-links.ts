import type { Db } from '../db'
import type { Clock } from './clock'
import { randomToken, sha256Hex } from './crypto'

export interface LoginLinkStoreOptions {
  db: Db
  clock: Clock
  /** How long a link stays valid, ms. */
  ttlMs: number
}

export type ConsumeResult = { ok: true } | { ok: false; reason: 'unknown' | 'used' | 'expired' }

/** One-time login links for the machine's owner: random token, stored hashed, single use, short-lived. */
export class LoginLinkStore {
  constructor(private readonly options: LoginLinkStoreOptions) {}

  /** A new raw token (only its hash is stored). */
  async issue(): Promise<string> {
    const now = this.options.clock()
    const token = randomToken()
    await this.options.db.write((conn) =>
      conn.prepare('INSERT INTO login_links (token_hash, created_at, expires_at) VALUES (?, ?, ?)').run(sha256Hex(token), now, now + this.options.ttlMs),
    )
    return token
  }

  /**
   * Consume a token atomically: one UPDATE marks it used only if it is unused and unexpired, so two
   * concurrent requests with the same link cannot both succeed.
   */
  async consume(token: string): Promise<ConsumeResult> {
    if (!token || token.length > 200) return { ok: false, reason: 'unknown' }
    const now = this.options.clock()
    const hash = sha256Hex(token)
    return this.options.db.write((conn): ConsumeResult => {
      const changed = conn
        .prepare('UPDATE login_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?')
        .run(now, hash, now).changes
      if (changed === 1) return { ok: true }
      const row = conn.prepare('SELECT used_at, expires_at FROM login_links WHERE token_hash = ?').get(hash) as
        | { used_at: number | null; expires_at: number }
        | undefined
      if (!row) return { ok: false, reason: 'unknown' }
      return { ok: false, reason: row.used_at !== null ? 'used' : 'expired' }
    })
  }

  /** Drop links that expired (used or not) more than a day ago: keeps "already used" answers for a while. */
  async cleanup(): Promise<number> {
    const cutoff = this.options.clock() - 86_400_000
    return this.options.db.write((conn) => conn.prepare('DELETE FROM login_links WHERE expires_at <= ?').run(cutoff).changes)
  }
}
