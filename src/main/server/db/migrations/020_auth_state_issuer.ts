import type { Migration } from '../types'

// IndieAuth login: remember the issuer from the provider's metadata so the callback can check `iss`
// (RFC 9207, required by the IndieAuth Living Standard when metadata names an issuer).
export const migration020: Migration = {
  name: '020_auth_state_issuer',
  up: (conn) => {
    conn.exec('ALTER TABLE auth_state ADD COLUMN issuer TEXT')
    conn.exec('CREATE INDEX IF NOT EXISTS idx_auth_state_expires ON auth_state (expires_at)')
    conn.exec('CREATE INDEX IF NOT EXISTS idx_login_links_expires ON login_links (expires_at)')
  },
}
