// By-hand start-up probe, for comparing builds on a busy machine where wall times mean little: starts
// `cmd args...` N times on a fresh data dir each (STARPUNK_DATA_DIR, STARPUNK_PORT / PORT set), and prints
// the medians of the wall time and the CPU time (utime + stime of every thread, /proc/<pid>/stat) from exec
// to the first 200 on /health, and VmRSS at that moment. Not part of `npm run bench` (which measures wall
// time on a pinned CPU, bench/startup.bench.ts); Linux only.
//
// Usage: node bench/start-cpu.mjs 7 node --max-semi-space-size=2 out/server/cli.mjs serve
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const [count, command, ...args] = process.argv.slice(2)
if (!command || !(Number(count) > 0)) {
  console.error('usage: node bench/start-cpu.mjs <runs> <command> [args...]')
  process.exit(2)
}
const ticksMs = 10 // USER_HZ is 100 on Linux
const runs = []
for (let i = 0; i < Number(count); i++) {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-start-cpu-'))
  const port = 31000 + Math.floor(Math.random() * 9000)
  const started = performance.now()
  const child = spawn(command, args, { env: { ...process.env, STARPUNK_DATA_DIR: dir, STARPUNK_PORT: String(port), PORT: String(port) }, stdio: 'ignore' })
  const deadline = Date.now() + 30_000
  for (;;) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL')
      console.error(`no 200 on /health within 30 s (${command} ${args.join(' ')})`)
      process.exit(1)
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`)
      await res.arrayBuffer()
      if (res.status === 200) break
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 3))
  }
  const wall = performance.now() - started
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
  const cpu = (Number(stat[11]) + Number(stat[12])) * ticksMs
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  rmSync(dir, { recursive: true, force: true })
  runs.push({ wall, cpu, rss })
}
const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[runs.length >> 1]
console.log(`wall ${median('wall').toFixed(0)} ms, cpu ${median('cpu').toFixed(0)} ms, VmRSS at the first 200 ${median('rss').toFixed(0)} MiB (median of ${runs.length})`)
