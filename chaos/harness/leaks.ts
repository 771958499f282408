/**
 * What must never reach a response body: stack traces, SQL or SQLite internals, file system paths.
 * Returned as a list of findings (empty = clean) so a failure says exactly what leaked.
 */
const LEAK_PATTERNS: Array<{ name: string; pattern: RegExp }> = [
  { name: 'stack frame', pattern: /\n\s+at [^\n]*\(?[^\n]*:\d+:\d+\)?/ },
  { name: 'stack frame (node internals)', pattern: /node:internal\// },
  { name: 'error class dump', pattern: /\b(TypeError|ReferenceError|RangeError|SyntaxError|SqliteError): / },
  { name: 'SQLite error code', pattern: /\bSQLITE_[A-Z_]+\b/ },
  { name: 'SQL statement', pattern: /\b(SELECT\s+[\w*,\s.]+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/i },
  { name: 'SQLite message', pattern: /\b(no such (table|column)|near "[^"]*": syntax error|database disk image)\b/i },
  { name: 'source path', pattern: /\/(work|home|root|tmp|usr|src)\/[\w./-]+\.(ts|tsx|js|mjs|db)\b/ },
  { name: 'node_modules path', pattern: /node_modules\// },
]

export function findLeaks(body: string, extraForbidden: string[] = []): string[] {
  const findings: string[] = []
  for (const { name, pattern } of LEAK_PATTERNS) {
    const m = pattern.exec(body)
    if (m) findings.push(`${name}: ${JSON.stringify(m[0].slice(0, 120))}`)
  }
  for (const word of extraForbidden) {
    if (word && body.includes(word)) findings.push(`forbidden text: ${JSON.stringify(word.slice(0, 80))}`)
  }
  return findings
}
