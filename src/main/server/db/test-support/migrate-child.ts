// A real second process for the concurrent-migration test: loads everything, says "ready", waits for
// "go" on stdin (so two of them start migrating at the same instant), opens the database, reports
// which migrations it applied itself, and exits.
import { createInterface } from 'node:readline'
import { createLogging } from '../../logging'
import { MIGRATIONS } from '../migrations'
import { openDb } from '../open'
import type { Migration } from '../types'

const path = process.argv[2]
if (!path) throw new Error('usage: migrate-child <db path>')

// A migration that cannot run twice: a second CREATE TABLE would fail, a second INSERT would show.
const probe: Migration = {
  name: '999_race_probe',
  up: (conn) => {
    conn.exec('CREATE TABLE race_probe (pid INTEGER NOT NULL)')
    conn.prepare('INSERT INTO race_probe (pid) VALUES (?)').run(process.pid)
  },
}

const applied: string[] = []
const logging = createLogging(
  { logLevel: 'INFO', logFormat: 'json', logDir: '/nonexistent' },
  {
    write: (line) => {
      const entry = JSON.parse(line) as { msg?: string; message?: string; migration?: string; fields?: { migration?: string } }
      if ((entry.msg ?? entry.message) === 'migration applied') applied.push(String(entry.fields?.migration ?? entry.migration))
    },
  },
)

const lines = createInterface({ input: process.stdin })
process.stdout.write('ready\n')
lines.once('line', () => {
  lines.close()
  process.stdin.destroy()
  void (async () => {
    try {
      const db = await openDb({
        path,
        db: { poolSize: 1, poolTimeoutMs: 5_000, busyTimeoutMs: 20_000, slowQueryMs: 10_000, nativeBinding: null },
        logger: logging.logger,
        migrations: [...MIGRATIONS, probe],
      })
      await db.close()
      process.stdout.write(`${JSON.stringify({ applied })}\n`)
      process.exitCode = 0
    } catch (err) {
      process.stdout.write(`${JSON.stringify({ error: (err as { code?: string }).code ?? String(err) })}\n`)
      process.exitCode = 1
    }
  })()
})
