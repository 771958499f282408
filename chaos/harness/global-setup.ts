/** One run directory for every data dir of the run; kept with CHAOS_KEEP=1 for a post-mortem. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-chaos-'))
  process.env.CHAOS_RUN_DIR = dir
  process.stdout.write(`chaos: run directory ${dir}\n`)
  return () => {
    if (process.env.CHAOS_KEEP === '1') process.stdout.write(`chaos: kept ${dir}\n`)
    else rmSync(dir, { recursive: true, force: true })
  }
}
