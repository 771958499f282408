/**
 * Every secret the suite handles (tokens, session cookies, login links, health token, session secrets) is
 * recorded in the run directory; the last test file scans every log file written during the run for them.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runDir } from './process'

const FILE = 'secrets.jsonl'

export function recordSecret(kind: string, value: string | null | undefined): void {
  // Too short a value would match by accident and proves nothing.
  if (!value || value.length < 12) return
  appendFileSync(join(runDir(), FILE), JSON.stringify({ kind, value }) + '\n')
}

export function recordedSecrets(): Array<{ kind: string; value: string }> {
  const path = join(runDir(), FILE)
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: string; value: string })
}
