import type BetterSqlite3 from 'better-sqlite3'
import { BUCKET_COUNT } from '../buckets'

type Connection = BetterSqlite3.Database

export interface MetricsMigration {
  name: string
  up(conn: Connection): void
}

/** Bucket columns b0 … b16 (per-bucket counts over LATENCY_BUCKETS_SECONDS and +Inf). */
export const BUCKET_COLUMNS: readonly string[] = Array.from({ length: BUCKET_COUNT }, (_, i) => `b${i}`)

/** Width of a health_hours row, ms; rows start at multiples of it (epoch ms). */
export const HEALTH_HOUR_MS = 3_600_000

/**
 * metrics.db's own schema, tracked in its own `metrics_migrations` table (nothing here is shared with the
 * notes database). Times: `ts` of points and series in epoch seconds (bucket start), everything else ms.
 */
export const METRICS_MIGRATIONS: readonly MetricsMigration[] = [
  {
    name: '001_history',
    up(conn) {
      conn.exec(`
        CREATE TABLE points (
          resolution INTEGER NOT NULL,
          ts INTEGER NOT NULL,
          seconds REAL NOT NULL,
          loop_p99_ms REAL, loop_max_ms REAL,
          rss_max INTEGER, heap_max INTEGER,
          pool_waiting_max INTEGER, pool_active_max INTEGER,
          pool_acquired INTEGER, pool_timeouts INTEGER, pool_wait_ms REAL,
          slow_queries INTEGER NOT NULL DEFAULT 0,
          disk_used_max INTEGER, disk_free_min INTEGER,
          PRIMARY KEY (resolution, ts)
        ) WITHOUT ROWID;
        CREATE TABLE series (
          resolution INTEGER NOT NULL,
          ts INTEGER NOT NULL,
          name TEXT NOT NULL,
          requests INTEGER NOT NULL,
          server_errors INTEGER NOT NULL,
          client_errors INTEGER NOT NULL,
          bytes INTEGER NOT NULL,
          sum_s REAL NOT NULL,
          ${BUCKET_COLUMNS.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(', ')},
          PRIMARY KEY (resolution, ts, name)
        ) WITHOUT ROWID;
        CREATE TABLE health_samples (
          component TEXT NOT NULL,
          ts INTEGER NOT NULL,
          status INTEGER NOT NULL,
          interval_ms INTEGER NOT NULL,
          output TEXT,
          PRIMARY KEY (component, ts)
        ) WITHOUT ROWID;
        CREATE TABLE incidents (
          id TEXT PRIMARY KEY,
          component TEXT NOT NULL,
          status TEXT NOT NULL,
          check_key TEXT,
          first_output TEXT,
          started_at INTEGER NOT NULL,
          ended_at INTEGER
        );
        CREATE INDEX incidents_started ON incidents (started_at);
        CREATE INDEX incidents_open ON incidents (ended_at) WHERE ended_at IS NULL;
        CREATE TABLE events (
          id INTEGER PRIMARY KEY,
          ts INTEGER NOT NULL,
          type TEXT NOT NULL,
          level TEXT NOT NULL,
          message TEXT NOT NULL,
          request_id TEXT,
          details TEXT
        );
        CREATE INDEX events_ts ON events (ts);
        CREATE INDEX events_request ON events (request_id) WHERE request_id IS NOT NULL;
      `)
    },
  },
  {
    // Uptime over 30 days read every sample (86,400 per component) on the main thread; it now reads one
    // row per component-hour. A row holds the finished spans only: those of samples whose next sample is
    // stored. Each component's last sample is still open and is read from health_samples at query time.
    name: '002_health_hours',
    up(conn) {
      conn.exec(`
        CREATE TABLE health_hours (
          component TEXT NOT NULL,
          hour INTEGER NOT NULL,
          up_ms INTEGER NOT NULL DEFAULT 0,
          degraded_ms INTEGER NOT NULL DEFAULT 0,
          down_ms INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (component, hour)
        ) WITHOUT ROWID;
        WITH RECURSIVE spans(component, status, start, stop) AS (
          SELECT component, status, ts, min(ts + interval_ms, next) FROM (
            SELECT component, ts, status, interval_ms, lead(ts) OVER (PARTITION BY component ORDER BY ts) AS next FROM health_samples
          ) WHERE next IS NOT NULL AND min(ts + interval_ms, next) > ts AND status IN (0, 1, 2)
        ),
        parts(component, status, hour, start, stop) AS (
          SELECT component, status, CAST(start / ${HEALTH_HOUR_MS} AS INTEGER) * ${HEALTH_HOUR_MS}, start, stop FROM spans
          UNION ALL
          SELECT component, status, hour + ${HEALTH_HOUR_MS}, hour + ${HEALTH_HOUR_MS}, stop FROM parts WHERE hour + ${HEALTH_HOUR_MS} < stop
        )
        INSERT INTO health_hours (component, hour, up_ms, degraded_ms, down_ms)
        SELECT component, hour,
          sum(CASE WHEN status IN (0, 1) THEN min(stop, hour + ${HEALTH_HOUR_MS}) - start ELSE 0 END),
          sum(CASE WHEN status = 1 THEN min(stop, hour + ${HEALTH_HOUR_MS}) - start ELSE 0 END),
          sum(CASE WHEN status = 2 THEN min(stop, hour + ${HEALTH_HOUR_MS}) - start ELSE 0 END)
        FROM parts GROUP BY component, hour;
      `)
    },
  },
]

/** Apply pending migrations in one transaction. A new file first gets incremental auto-vacuum, so pruning gives space back. */
export function migrateMetrics(conn: Connection, now: number, migrations: readonly MetricsMigration[] = METRICS_MIGRATIONS): string[] {
  const fresh = !conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'metrics_migrations'").get()
  // auto_vacuum can only be chosen before the first table exists.
  if (fresh) conn.pragma('auto_vacuum = INCREMENTAL')
  conn.exec('CREATE TABLE IF NOT EXISTS metrics_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)')
  const applied = new Set(conn.prepare('SELECT name FROM metrics_migrations').pluck().all() as string[])
  const pending = migrations.filter((m) => !applied.has(m.name))
  if (pending.length === 0) return []
  conn.transaction(() => {
    for (const migration of pending) {
      migration.up(conn)
      conn.prepare('INSERT INTO metrics_migrations (name, applied_at) VALUES (?, ?)').run(migration.name, now)
    }
  }).immediate()
  return pending.map((m) => m.name)
}
