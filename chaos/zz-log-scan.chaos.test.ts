/**
 * Runs last (files run in name order): every log file written by every server of this run, scanned for
 * every secret the suite handled (tokens, session cookies, login links, health tokens, session secrets).
 */
import { describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { runDir } from './harness/process'
import { recordedSecrets } from './harness/secrets'
import { recordFigure } from './harness/figures'

function logFiles(dir: string, depth = 0): string[] {
  if (depth > 4 || !existsSync(dir)) return []
  const found: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    let st
    try {
      st = statSync(path)
    } catch {
      continue
    }
    if (st.isDirectory()) found.push(...logFiles(path, depth + 1))
    else if (/^starpunk\.log(\.\d+)?$/.test(name)) found.push(path)
  }
  return found
}

describe('no secret in any log line of the whole run', () => {
  it('scans every log file in every data dir of the run', () => {
    const root = runDir()
    const secrets = recordedSecrets()
    // Each data dir's persisted session secret is a secret too.
    for (const entry of readdirSync(root)) {
      const file = join(root, entry, 'session-secret')
      if (existsSync(file)) secrets.push({ kind: 'session secret', value: readFileSync(file, 'utf8').trim() })
    }
    const files = logFiles(root)
    let lines = 0
    const hits: string[] = []
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      const fileLines = text.split('\n')
      lines += fileLines.length
      for (const { kind, value } of secrets) {
        // The login link's secret is its token parameter; the rest are matched whole.
        const needle = kind === 'login link' ? (new URL(value).searchParams.get('token') ?? value) : value
        if (needle.length >= 12 && text.includes(needle)) hits.push(`${kind} found in ${file.slice(root.length)}`)
      }
      // Whatever the suite did not record: bearer values and cookie values must never be logged at all.
      for (const line of fileLines) {
        if (/Bearer [A-Za-z0-9._~+/-]{12,}/.test(line)) hits.push(`a bearer token in ${file.slice(root.length)}`)
        if (/starpunk_session=[A-Za-z0-9._~+/-]{12,}/.test(line)) hits.push(`a session cookie in ${file.slice(root.length)}`)
      }
    }
    recordFigure('log-scan', { files: files.length, lines, secrets: secrets.length, hits: hits.length })
    process.stdout.write(`log scan: ${files.length} files, ${lines} lines, ${secrets.length} secrets, ${hits.length} hits\n`)
    // The run must have produced logs and secrets for this to mean anything (this file runs last).
    expect(files.length).toBeGreaterThan(0)
    expect(secrets.length).toBeGreaterThan(0)
    expect([...new Set(hits)]).toEqual([])
  })
})
