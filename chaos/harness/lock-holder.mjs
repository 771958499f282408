// A separate process holding the SQLite write lock on a database file until told to let go (stdin "release").
// Plain node + better-sqlite3, like any other program that might open the blog's database.
import Database from 'better-sqlite3'

const [path, mode = 'IMMEDIATE'] = process.argv.slice(2)
const db = new Database(path)
db.pragma('busy_timeout = 5000')
db.exec(`BEGIN ${mode}`)
// Hold a real pending write, not just the lock.
db.exec("CREATE TABLE IF NOT EXISTS chaos_lock_probe (at TEXT)")
db.prepare('INSERT INTO chaos_lock_probe (at) VALUES (?)').run(new Date().toISOString())
process.stdout.write('locked\n')
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  if (chunk.includes('release')) {
    db.exec('ROLLBACK')
    db.close()
    process.stdout.write('released\n')
    process.exit(0)
  }
})
// Never hold it forever, whatever happens to the test.
setTimeout(() => process.exit(3), 120_000).unref()
