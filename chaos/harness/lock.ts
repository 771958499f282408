import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT } from './process'

export interface LockHolder {
  release(): Promise<void>
}

/** Start another process that takes the write lock (BEGIN IMMEDIATE/EXCLUSIVE) and holds it. */
export async function holdWriteLock(dbPath: string, mode: 'IMMEDIATE' | 'EXCLUSIVE' = 'IMMEDIATE'): Promise<LockHolder> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'chaos/harness/lock-holder.mjs'), dbPath, mode], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('locked')) resolve()
    })
    void exited.then((code) => reject(new Error(`lock holder exited (${code}) before locking: ${err}`)))
  })
  return {
    async release() {
      child.stdin.write('release\n')
      const code = await exited
      if (code !== 0) throw new Error(`lock holder exited with ${code}: ${err}`)
    },
  }
}
