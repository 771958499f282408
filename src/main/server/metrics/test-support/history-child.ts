// A real process that writes metrics history and then waits to be killed with SIGKILL (kill -9).
// argv: <metrics.db path> <start epoch ms>. Prints "flushed" once everything is committed.
import type { HealthReport } from '../../../../shared/contract'
import { openMetricsHistory } from '../history/store'
import { BUCKET_COUNT } from '../buckets'

const [path, startText] = process.argv.slice(2) as [string, string]
let now = Number(startText)
const history = openMetricsHistory({ path, clock: () => now })
for (let i = 0; i < 6; i++) {
  const buckets = new Array<number>(BUCKET_COUNT).fill(0)
  buckets[3] = 1
  history.recordWindow({
    start: now,
    end: now + 10_000,
    series: { 'http:pages': { requests: 1, serverErrors: 0, clientErrors: 0, bytes: 10, sumSeconds: 0.001, buckets } },
    process: { eventLoopP99Ms: 1, eventLoopMaxMs: 1, rssBytes: 1, heapUsedBytes: 1, poolWaiting: 0, poolActive: 0, poolAcquired: 0, poolTimeouts: 0, poolWaitMs: 0, slowQueries: 0, diskUsedBytes: null, diskFreeBytes: null },
  })
  now += 10_000
}
const report: HealthReport = { status: 'fail', checks: { 'filesystem:writable': [{ status: 'fail', time: new Date(now).toISOString(), output: 'The data directory is not writable (EROFS).' }] } }
history.recordHealth(report, now, 30_000)
while (history.flush() > 0);
process.stdout.write('flushed\n')
// Never closes: the test kills this process.
setInterval(() => {}, 60_000)
