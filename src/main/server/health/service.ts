import { randomBytes } from 'node:crypto'
import { statfs, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { HealthCheck, HealthReport, HealthStatus, PoolStats } from '../../../shared/contract'
import { errnoCode } from '../errors/errno'
import type { Logger } from '../logging'
import type { ComponentCheck, HealthService, NamedCheck } from './types'

export interface HealthDeps {
  version: string
  startedAt: number
  /** The database: registers the required `database` check (a real query through the pool + pool stats). */
  db?: {
    ping(): Promise<number>
    stats(): PoolStats
    /** Whether the configured path still leads to the open file (PooledDb provides it). */
    fileIntact?(): boolean
  }
  /** Registers the required `filesystem` check: really writes and deletes a file here. */
  dataDir?: string
  /** Registers the `memory` check (never fails readiness; warns above this RSS). */
  memoryThresholdMb?: number
  logger?: Logger
  /** A check that takes longer than this fails (so a stuck dependency cannot hang readiness). Default 10 s. */
  checkTimeoutMs?: number
  /** The components the capabilities return (logs, media, render, search...), after the built-in ones. */
  checks?: readonly NamedCheck[]
}

/** A report with the time it was made (the IETF draft's checks carry times; the top level gets one too). */
export type TimedHealthReport = HealthReport & { time: string }

const ORDER: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 }
/** Free space below this on the data dir's disk warns: writes of notes, media and logs will soon fail. */
const LOW_DISK_MIB = 100

const MIB = 1024 * 1024

/** What a check's output may say about a failure: its code, else its class name; never its message (paths, SQL). */
function errorCode(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name
  return errnoCode(err) ?? (typeof name === 'string' ? name : 'ERROR')
}

/** The database component: a real round-trip through the reader pool, the file's identity, and pool stats. */
export function databaseCheck(db: NonNullable<HealthDeps['db']>): ComponentCheck {
  return async () => {
    const time = new Date().toISOString()
    const checks: Record<string, HealthCheck[]> = {}
    // Pool stats as the probe found them: taken before this run's own queries (the ping here, the search
    // component's counts) hold a connection, or a probe would report its own connection as in use.
    const stats = db.stats()
    try {
      const ms = await db.ping()
      checks['database:responseTime'] = [{ componentType: 'datastore', observedValue: Math.round(ms * 1000) / 1000, observedUnit: 'ms', status: 'pass', time }]
    } catch (err) {
      // The code only (e.g. POOL_EXHAUSTED, DATABASE_UNAVAILABLE): never SQL, paths or messages with values.
      checks['database:responseTime'] = [{ componentType: 'datastore', status: 'fail', time, output: `The database did not answer a query (${errorCode(err)}).` }]
    }
    if (db.fileIntact) {
      const intact = db.fileIntact()
      checks['database:file'] = [
        intact
          ? { componentType: 'datastore', observedValue: true, status: 'pass', time }
          : {
              componentType: 'datastore',
              observedValue: false,
              status: 'fail',
              time,
              output: 'The database file was moved, deleted or replaced while open: new writes would be lost. Put it back, or restart StarPunk.',
            },
      ]
    }
    checks['database:connections'] = [
      {
        componentType: 'datastore',
        observedValue: stats.active,
        observedUnit: 'active connections',
        status: 'pass',
        time,
        output: `${stats.active} active, ${stats.idle} idle of ${stats.size}; ${stats.waiting} waiting; mean wait ${stats.meanWaitMs} ms, max ${stats.maxWaitMs} ms`,
      },
    ]
    checks['database:waiting'] = [{ componentType: 'datastore', observedValue: stats.waiting, observedUnit: 'requests', status: stats.waiting > stats.size ? 'warn' : 'pass', time }]
    checks['database:timeouts'] = [{ componentType: 'datastore', observedValue: stats.timeouts, observedUnit: 'acquire timeouts since start', status: 'pass', time }]
    return checks
  }
}

/** The filesystem component: really write and delete a small file in the data directory, and look at free space. */
export function filesystemCheck(dataDir: string): ComponentCheck {
  return async () => {
    const time = new Date().toISOString()
    const checks: Record<string, HealthCheck[]> = {}
    const probe = join(dataDir, `.health-probe-${process.pid}-${randomBytes(4).toString('hex')}`)
    try {
      await writeFile(probe, 'ok', { flag: 'wx' })
      await unlink(probe)
      checks['filesystem:writable'] = [{ componentType: 'system', observedValue: true, status: 'pass', time }]
    } catch (err) {
      await unlink(probe).catch(() => {})
      checks['filesystem:writable'] = [
        { componentType: 'system', observedValue: false, status: 'fail', time, output: `The data directory is not writable (${errorCode(err)}).` },
      ]
    }
    try {
      const fs = await statfs(dataDir)
      const freeMib = Math.floor((fs.bavail * fs.bsize) / MIB)
      checks['filesystem:free'] = [
        {
          componentType: 'system',
          observedValue: freeMib,
          observedUnit: 'MiB',
          status: freeMib < LOW_DISK_MIB ? 'warn' : 'pass',
          time,
          ...(freeMib < LOW_DISK_MIB ? { output: `Less than ${LOW_DISK_MIB} MiB free on the data directory's disk.` } : {}),
        },
      ]
    } catch {
      // Without a directory there is no free space to report; `writable` already says what is wrong.
    }
    return checks
  }
}

/** The memory component: resident set size against STARPUNK_MEMORY_THRESHOLD_MB. */
export function memoryCheck(thresholdMb: number, rss: () => number = () => process.memoryUsage.rss()): ComponentCheck {
  return () => {
    const rssMib = Math.round((rss() / MIB) * 10) / 10
    const over = rssMib > thresholdMb
    return {
      'memory:rss': [
        {
          componentType: 'system',
          observedValue: rssMib,
          observedUnit: 'MiB',
          status: over ? 'warn' : 'pass',
          time: new Date().toISOString(),
          ...(over ? { output: `Resident memory is above the ${thresholdMb} MiB threshold (STARPUNK_MEMORY_THRESHOLD_MB).` } : {}),
        },
      ],
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('check timed out'), { code: 'TIMEOUT' })), ms)
      timer.unref()
    }),
  ]).finally(() => clearTimeout(timer))
}

export function createHealthService(deps: HealthDeps): HealthService {
  const checks = new Map<string, { check: ComponentCheck; required: boolean }>()
  const listeners = new Set<(report: HealthReport) => void>()
  const checkTimeoutMs = deps.checkTimeoutMs ?? 10_000
  let last: TimedHealthReport | null = null
  // Concurrent readiness requests share one run: a flood of probes (or a console polling) costs one check.
  let inFlight: Promise<TimedHealthReport> | null = null

  function register(name: string, check: ComponentCheck, options?: { required?: boolean }): () => void {
    const entry = { check, required: options?.required ?? true }
    checks.set(name, entry)
    return () => {
      if (checks.get(name) === entry) checks.delete(name)
    }
  }

  if (deps.db) register('database', databaseCheck(deps.db))
  if (deps.dataDir) register('filesystem', filesystemCheck(deps.dataDir))
  if (deps.memoryThresholdMb !== undefined) register('memory', memoryCheck(deps.memoryThresholdMb), { required: false })
  for (const { name, check, required } of deps.checks ?? []) register(name, check, { required })

  async function run(): Promise<TimedHealthReport> {
    const entries = [...checks.entries()]
    const results = await Promise.all(
      entries.map(async ([name, { check, required }]) => {
        try {
          return { name, required, result: await withTimeout(Promise.resolve().then(check), checkTimeoutMs) }
        } catch (err) {
          const failed: HealthCheck = { componentType: 'component', status: 'fail', time: new Date().toISOString(), output: `The ${name} check failed (${errorCode(err)}).` }
          return { name, required, result: { [`${name}:check`]: [failed] } }
        }
      }),
    )
    let status: HealthStatus = 'pass'
    const all: Record<string, HealthCheck[]> = {}
    const failing: string[] = []
    for (const { required, result } of results) {
      for (const [key, list] of Object.entries(result)) {
        all[key] = list
        for (const item of list) {
          // An optional component that fails degrades the service (warn) but does not take it out of rotation.
          const effective: HealthStatus = item.status === 'fail' && !required ? 'warn' : item.status
          if (item.status !== 'pass') failing.push(`${key}=${item.status}`)
          if (ORDER[effective] > ORDER[status]) status = effective
        }
      }
    }
    const report: TimedHealthReport = {
      status,
      version: deps.version,
      description: 'StarPunk readiness',
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      time: new Date().toISOString(),
      checks: all,
    }
    const previous = last?.status ?? null
    last = report
    if (previous !== status) {
      if (status === 'pass') {
        if (previous !== null) deps.logger?.info('health recovered', { status })
      } else {
        if (status === 'fail') deps.logger?.error(`health ${status}`, { status, failing })
        else deps.logger?.warn(`health ${status}`, { status, failing })
      }
      for (const listener of listeners) {
        try {
          listener(report)
        } catch (err) {
          deps.logger?.error('health listener failed', { err })
        }
      }
    }
    return report
  }

  return {
    liveness: (): TimedHealthReport => ({ status: 'pass', time: new Date().toISOString() }),
    async readiness(detailed) {
      if (!inFlight) {
        inFlight = run().finally(() => {
          inFlight = null
        })
      }
      const report = await inFlight
      return detailed ? report : { status: report.status }
    },
    register,
    last: () => last,
    onChange(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
