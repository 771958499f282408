import type { Migration } from '../types'

// Tokens from the built-in IndieAuth provider now expire (sliding on use) and come with a rotating refresh
// token, and each remembers the authorization code it came from, so replaying that code revokes them.
// Rows issued before keep expires_at NULL: they never expire, as when they were issued, and keep working.
export const migration040: Migration = {
  name: '040_indieauth_token_refresh',
  up: (conn) => {
    conn.exec('ALTER TABLE tokens ADD COLUMN code_hash TEXT')
    conn.exec('ALTER TABLE tokens ADD COLUMN refresh_hash TEXT')
    conn.exec('ALTER TABLE tokens ADD COLUMN refresh_expires_at INTEGER')
    // The refresh token this row's current one replaced: presenting it again means it leaked (RFC 9700 §4.14.2).
    conn.exec('ALTER TABLE tokens ADD COLUMN previous_refresh_hash TEXT')
    conn.exec('CREATE UNIQUE INDEX idx_tokens_refresh_hash ON tokens (refresh_hash) WHERE refresh_hash IS NOT NULL')
    conn.exec('CREATE INDEX idx_tokens_previous_refresh_hash ON tokens (previous_refresh_hash) WHERE previous_refresh_hash IS NOT NULL')
    conn.exec('CREATE INDEX idx_tokens_code_hash ON tokens (code_hash) WHERE code_hash IS NOT NULL')
  },
}
