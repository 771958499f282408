// Logging costs, side by side in one run:
//  1. /health req/s with info-level request logging (console sink in human format to /dev/null, plus the
//     rotating JSON file) vs. the same server with logging switched off (setLevel('OFF')), alternating.
//  2. Per-line cost of our logger vs. pino writing the same access line to a sink that discards it.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import electronLog from 'electron-log/node'
import pino from 'pino'
import { createServer, loadConfig } from '../src/main/server'
import { createLogging } from '../src/main/server/logging'
import { load, type BenchModule } from './lib'

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

const run: BenchModule = async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-log-'))
  try {
    // 1. Request logging on vs off, same server.
    const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'INFO', STARPUNK_LOG_FORMAT: 'human' } })
    if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '))
    // The console sink writes synchronously, as process.stdout does to a terminal, file or pipe on Linux.
    const devNull = openSync('/dev/null', 'w')
    const server = await createServer(config, { logging: { stdout: { write: (chunk: string) => writeSync(devNull, chunk) } } })
    const url = await server.listen()
    const seconds = ctx.quick ? 2 : 5
    const startLoad = loadavg()[0] ?? 0
    const rounds = ctx.quick ? 2 : 4
    const on: number[] = []
    const off: number[] = []
    const onP99: number[] = []
    const offP99: number[] = []
    await load(`${url}/health`, { seconds: 1 }) // warm-up
    // CPU time per request (server and load client share this process, identically in both arms) is far
    // less sensitive to other processes on the machine than req/s.
    const onCpu: number[] = []
    const offCpu: number[] = []
    const measure = async (level: 'INFO' | 'OFF'): Promise<void> => {
      server.context.logging.setLevel(level)
      const cpuBefore = process.cpuUsage()
      const result = await load(`${url}/health`, { seconds })
      const cpu = process.cpuUsage(cpuBefore)
      ;(level === 'INFO' ? on : off).push(result.reqPerSec)
      ;(level === 'INFO' ? onP99 : offP99).push(result.p99)
      ;(level === 'INFO' ? onCpu : offCpu).push((cpu.user + cpu.system) / Math.max(1, result.reqPerSec * seconds))
    }
    // ABBA order, so a drift in machine load during the run does not favour one side.
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        await measure('INFO')
        await measure('OFF')
      } else {
        await measure('OFF')
        await measure('INFO')
      }
    }
    server.context.logging.setLevel('INFO')
    await server.close()
    closeSync(devNull)
    ctx.report({ group: 'Logging', name: '/health req/s: info request logging (console+file) vs logging off', ours: median(on), baseline: median(off), unit: 'req/s', higherIsBetter: true, note: `median of ${rounds} ABBA rounds, ${seconds}s each, 10 connections, load avg ${startLoad.toFixed(1)} at start` })
    ctx.report({ group: 'Logging', name: '/health CPU per request (server + client): info logging vs off', ours: median(onCpu), baseline: median(offCpu), unit: 'µs', higherIsBetter: false, note: 'difference = logging cost per request' })
    ctx.report({ group: 'Logging', name: '/health p99: info request logging vs logging off', ours: median(onP99), baseline: median(offP99), unit: 'ms', higherIsBetter: false })

    // 2. Per-line cost: ours vs pino, the same access line, both inside a request context, discarded sink.
    const ours = createLogging({ logLevel: 'INFO', logFormat: 'json', logDir: join(dir, 'unused'), sessionSecret: 'x'.repeat(48) }, { write: () => {}, bufferCapacity: 10_000 })
    const pinoLogger = pino({ level: 'info', base: undefined }, { write: () => {} }).child({ requestId: 'bench-request-id-0001' })
    const fields = { method: 'GET', path: '/notes/hello-world', status: 200, durationMs: 1.23, bytes: 5120 }
    const lines = ctx.quick ? 50_000 : 200_000
    const oursNs: number[] = []
    const pinoNs: number[] = []
    const timeIt = (fn: () => void): number => {
      const start = process.hrtime.bigint()
      for (let i = 0; i < lines; i++) fn()
      return Number(process.hrtime.bigint() - start) / lines
    }
    for (let i = 0; i < rounds + 1; i++) {
      oursNs.push(ours.runWithRequest({ requestId: 'bench-request-id-0001' }, () => timeIt(() => ours.logger.info('request', fields))))
      pinoNs.push(timeIt(() => pinoLogger.info(fields, 'request')))
    }
    // electron-log/node (the design card's logger): console transport with its text format, output discarded.
    electronLog.transports.file.level = false
    electronLog.transports.console.level = 'info'
    // writeFn receives the formatted message; discarding it keeps only the logger's own cost.
    electronLog.transports.console.writeFn = () => {}
    const electronNs: number[] = []
    for (let i = 0; i < rounds + 1; i++) electronNs.push(timeIt(() => electronLog.info('request', fields)))
    ctx.report({ group: 'Logging', name: 'per-line cost: ours (redaction + ring buffer + JSON) vs electron-log/node (text)', ours: median(oursNs) / 1000, baseline: median(electronNs) / 1000, unit: 'µs', higherIsBetter: false, note: `${lines} lines × ${rounds + 1}, median` })
    ctx.report({ group: 'Logging', name: 'per-line cost: ours (redaction + ring buffer + JSON) vs pino (JSON)', ours: median(oursNs) / 1000, baseline: median(pinoNs) / 1000, unit: 'µs', higherIsBetter: false, note: `${lines} lines × ${rounds + 1}, median` })
    await ours.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export default run
