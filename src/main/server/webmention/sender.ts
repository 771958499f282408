import type { Connection, Db } from '../db'
import type { Logger } from '../logging'
import { isOutboundError, type Outbound, type OutboundFailure } from '../outbound'
import { discoverEndpoint } from './discovery'
import { normalizeUrl } from './parse'
import type { OutboxEntry, OutboxState } from './types'

export interface RetryPolicy {
  /** Tries in all (the first included) before an entry that keeps failing is given up as failed. */
  maxAttempts: number
  /** Delay after the first failure; doubled after each further one. */
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 60_000, maxDelayMs: 6 * 60 * 60_000 }

/** Targets told per note at most: a note with a thousand links must not turn us into a flood. */
export const MAX_TARGETS_PER_NOTE = 100

export interface WebmentionSenderDeps {
  db: Db
  outbound: Outbound
  logger: Logger
  /** The note's permalink, the `source` of its Webmentions (also for a deleted note: it answers 410). */
  noteUrl: (noteId: number) => string | null | Promise<string | null>
  /**
   * A target on this site is told without HTTP: return true when it was handled. Without it, own pages are
   * skipped (the outbound fetch refuses this site's origins anyway).
   */
  deliverLocally?: (source: string, target: string) => Promise<boolean>
  /** This site's own origins (never contacted). */
  refuseOrigins?: () => readonly string[]
  now?: () => number
  retry?: Partial<RetryPolicy>
  /** Time for one discovery or one notification, redirects included. */
  timeoutMs?: number
  /**
   * Awaited before each try for a note (e.g. a static mirror publishing the page first, so the receiver
   * finds it). Throwing counts as a failure worth another try. Default: none.
   */
  beforeSend?: (noteId: number) => Promise<void>
}

export interface WebmentionSender {
  /**
   * Queue a Webmention to every URL the note links to now or linked to before (so removed links are told
   * too). Entries already waiting are reset to go now; returns the note's outbox entries for those targets.
   */
  enqueueForNote(noteId: number, currentLinks: readonly string[], previousLinks: readonly string[]): Promise<OutboxEntry[]>
  /**
   * The same as enqueueForNote, inside the caller's write transaction (the note write itself), so the
   * outbox changes exactly when the note does. `previous` is what the outbox recorded as the note's links
   * (the targets its last version linked to); `current` become the recorded links. Call kick() after the commit.
   */
  enqueueInTransaction(conn: Connection, noteId: number, source: string, currentLinks: readonly string[]): number
  /** Look for due entries now (after an enqueueInTransaction commit). */
  kick(): void
  /** Send everything due at the clock's now, one at a time. Resolves with how many were tried. */
  processDue(): Promise<number>
  /** When the next pending entry is due (ms since epoch), or null when none waits. */
  nextDueAt(): Promise<number | null>
  /** What each target of a note answered (the note's admin page). */
  forNote(noteId: number): Promise<OutboxEntry[]>
  start(): void
  stop(): Promise<void>
}

interface OutboxRow {
  id: number
  note_id: number
  source: string
  target: string
  state: OutboxState
  generation: number
  attempts: number
  next_attempt_at: number | null
  endpoint: string | null
  last_status: number | null
  last_error: string | null
  location: string | null
  created_at: number
  updated_at: number
}

function toEntry(row: OutboxRow): OutboxEntry {
  return {
    id: row.id,
    noteId: row.note_id,
    source: row.source,
    target: row.target,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.state === 'pending' && row.next_attempt_at !== null ? new Date(row.next_attempt_at).toISOString() : null,
    endpoint: row.endpoint,
    lastStatus: row.last_status,
    lastError: row.last_error,
    location: row.location,
    updatedAt: new Date(row.updated_at).toISOString(),
  }
}

/** Outbound failures worth another try later: the other site may be back. The rest will fail the same way. */
const TRANSIENT: ReadonlySet<OutboundFailure> = new Set(['timeout', 'unreachable', 'unknown-host'])

/** What one try came to. */
type Outcome =
  | { kind: 'done'; state: Exclude<OutboxState, 'pending'>; endpoint: string | null; status: number | null; error: string | null; location: string | null }
  | { kind: 'retry'; endpoint: string | null; status: number | null; error: string }

/** A short, printable excerpt of what an endpoint answered (for the admin page). */
function excerpt(text: string): string | null {
  // eslint-disable-next-line no-control-regex -- control characters are what is being removed
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim()
  if (!clean) return null
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean
}

export function createWebmentionSender(deps: WebmentionSenderDeps): WebmentionSender {
  const { db, outbound, logger } = deps
  const now = deps.now ?? Date.now
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retry }
  const timeoutMs = deps.timeoutMs ?? 10_000
  let processing: Promise<number> | null = null
  let running = false
  let timer: NodeJS.Timeout | null = null

  function delayAfter(attempts: number): number {
    return Math.min(retry.baseDelayMs * 2 ** Math.max(0, attempts - 1), retry.maxDelayMs)
  }

  async function attempt(row: OutboxRow): Promise<Outcome> {
    if (deps.beforeSend) {
      try {
        await deps.beforeSend(row.note_id)
      } catch (err) {
        logger.warn('webmention held back by the before-send hook; tried again later', { err })
        return { kind: 'retry', endpoint: null, status: null, error: 'Not sent yet: the page was not ready to be fetched.' }
      }
    }
    if (deps.deliverLocally) {
      try {
        if (await deps.deliverLocally(row.source, row.target)) return { kind: 'done', state: 'sent', endpoint: null, status: null, error: null, location: null }
      } catch (err) {
        logger.error('local webmention delivery failed', { err })
        return { kind: 'retry', endpoint: null, status: null, error: 'Recording the mention on this site failed.' }
      }
    }
    const refuseOrigins = deps.refuseOrigins?.()
    let endpoint: string | null = null
    try {
      const found = await discoverEndpoint(outbound, row.target, { timeoutMs, refuseOrigins })
      if (found.status >= 500 || found.status === 429) return { kind: 'retry', endpoint: null, status: found.status, error: `The page answered HTTP ${found.status}.` }
      if (found.status < 200 || found.status >= 300) return { kind: 'done', state: 'failed', endpoint: null, status: found.status, error: `The page answered HTTP ${found.status}.`, location: null }
      if (!found.endpoint) return { kind: 'done', state: 'no-endpoint', endpoint: null, status: null, error: null, location: null }
      endpoint = found.endpoint
      const res = await outbound.fetchText(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/plain, application/json;q=0.9, */*;q=0.5' },
        body: new URLSearchParams({ source: row.source, target: row.target }).toString(),
        timeoutMs,
        maxBodyBytes: 64 * 1024,
        refuseOrigins,
        purpose: 'the Webmention endpoint',
      })
      const location = res.headers.get('location')
      const said = excerpt(res.text)
      if (res.status >= 200 && res.status < 300) {
        return { kind: 'done', state: 'sent', endpoint, status: res.status, error: null, location: location ? normalizeUrl(location, res.url) : null }
      }
      const error = `The endpoint answered HTTP ${res.status}${said ? `: ${said}` : '.'}`
      if (res.status >= 500 || res.status === 429) return { kind: 'retry', endpoint, status: res.status, error }
      return { kind: 'done', state: 'failed', endpoint, status: res.status, error, location: null }
    } catch (err) {
      if (isOutboundError(err)) {
        if (TRANSIENT.has(err.reason)) return { kind: 'retry', endpoint, status: null, error: err.detail }
        return { kind: 'done', state: 'failed', endpoint, status: null, error: err.detail, location: null }
      }
      logger.error('webmention send failed', { err })
      return { kind: 'retry', endpoint, status: null, error: 'Sending failed on our side.' }
    }
  }

  async function record(row: OutboxRow, outcome: Outcome): Promise<void> {
    const at = now()
    const attempts = row.attempts + 1
    const giveUp = outcome.kind === 'retry' && attempts >= retry.maxAttempts
    const state: OutboxState = outcome.kind === 'done' ? outcome.state : giveUp ? 'failed' : 'pending'
    const next = state === 'pending' ? at + delayAfter(attempts) : null
    await db.write((conn) => {
      // Only if nobody re-queued it meanwhile (a new version of the note): that one goes again as it is.
      conn
        .prepare(
          `UPDATE webmention_outbox SET state = ?, attempts = ?, next_attempt_at = ?, endpoint = ?, last_status = ?, last_error = ?,
             location = ?, updated_at = ? WHERE id = ? AND generation = ?`,
        )
        .run(state, attempts, next, outcome.endpoint, outcome.status, outcome.error, outcome.kind === 'done' ? outcome.location : null, at, row.id, row.generation)
    })
    logger.info('webmention sent', { target: new URL(row.target).host, state, attempts, status: outcome.status })
  }

  /** Entries taken per round; the next round picks up the rest (and any re-queued while being sent). */
  const ROUND = 200

  async function runDue(): Promise<number> {
    const due = db.writer
      .prepare("SELECT id FROM webmention_outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?")
      .pluck()
      .all(now(), ROUND) as number[]
    let tried = 0
    for (const id of due) {
      // Read again: an earlier send of this round may have taken long enough for the note to change.
      const row = db.writer.prepare("SELECT * FROM webmention_outbox WHERE id = ? AND state = 'pending'").get(id) as OutboxRow | undefined
      if (!row) continue
      await record(row, await attempt(row))
      tried++
    }
    return tried
  }

  function processDue(): Promise<number> {
    if (processing) return processing.then(() => processDue())
    processing = runDue().finally(() => {
      processing = null
    })
    return processing
  }

  async function nextDueAt(): Promise<number | null> {
    const at = db.writer.prepare("SELECT min(next_attempt_at) FROM webmention_outbox WHERE state = 'pending'").pluck().get() as number | null
    return at ?? null
  }

  function schedule(): void {
    if (!running) return
    if (timer) clearTimeout(timer)
    void nextDueAt().then((at) => {
      if (!running) return
      // Re-checked at least every minute, so a clock that jumps is noticed, and entries another process
      // queued (npm run import-notes -- --send-webmentions) are found.
      const wait = at === null ? 60_000 : Math.min(Math.max(0, at - now()), 60_000)
      timer = setTimeout(() => {
        timer = null
        processDue()
          .catch((err: unknown) => logger.error('webmention outbox failed', { err }))
          .finally(schedule)
      }, wait)
      timer.unref()
    })
  }

  function targetsOf(source: string, links: readonly string[]): string[] {
    const sourceKey = normalizeUrl(source)
    const targets: string[] = []
    for (const link of links) {
      const target = normalizeUrl(link)
      if (target && target !== sourceKey && !targets.includes(target)) targets.push(target)
    }
    return targets
  }

  return {
    enqueueInTransaction(conn, noteId, source, currentLinks) {
      const current = targetsOf(source, currentLinks).slice(0, MAX_TARGETS_PER_NOTE)
      const previous = conn.prepare('SELECT target FROM webmention_outbox WHERE source = ? AND linked = 1').pluck().all(source) as string[]
      const told = targetsOf(source, [...current, ...previous])
      const at = now()
      const upsert = conn.prepare(
        `INSERT INTO webmention_outbox (note_id, source, target, state, generation, attempts, next_attempt_at, linked, created_at, updated_at)
         VALUES (?, ?, ?, 'pending', 1, 0, ?, ?, ?, ?)
         ON CONFLICT (source, target) DO UPDATE SET note_id = excluded.note_id, state = 'pending', generation = generation + 1,
           attempts = 0, next_attempt_at = excluded.next_attempt_at, linked = excluded.linked, updated_at = excluded.updated_at`,
      )
      for (const target of told) upsert.run(noteId, source, target, at, current.includes(target) ? 1 : 0, at, at)
      return told.length
    },

    kick: () => schedule(),

    async enqueueForNote(noteId, currentLinks, previousLinks) {
      const source = await deps.noteUrl(noteId)
      if (!source) throw new Error(`note ${noteId} has no URL to send Webmentions from`)
      const sourceKey = normalizeUrl(source)
      const targets: string[] = []
      for (const link of [...currentLinks, ...previousLinks]) {
        const target = normalizeUrl(link)
        if (target && target !== sourceKey && !targets.includes(target)) targets.push(target)
      }
      if (targets.length > MAX_TARGETS_PER_NOTE) logger.warn('note links to more targets than are told', { noteId, targets: targets.length, told: MAX_TARGETS_PER_NOTE })
      const told = targets.slice(0, MAX_TARGETS_PER_NOTE)
      const at = now()
      const rows = await db.write((conn) => {
        const upsert = conn.prepare(
          `INSERT INTO webmention_outbox (note_id, source, target, state, generation, attempts, next_attempt_at, created_at, updated_at)
           VALUES (?, ?, ?, 'pending', 1, 0, ?, ?, ?)
           ON CONFLICT (source, target) DO UPDATE SET note_id = excluded.note_id, state = 'pending', generation = generation + 1,
             attempts = 0, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at`,
        )
        for (const target of told) upsert.run(noteId, source, target, at, at, at)
        const select = conn.prepare('SELECT * FROM webmention_outbox WHERE source = ? AND target = ?')
        return told.map((target) => select.get(source, target) as OutboxRow)
      })
      schedule()
      return rows.map(toEntry)
    },

    processDue,
    nextDueAt,

    async forNote(noteId) {
      const rows = await db.all<OutboxRow>('SELECT * FROM webmention_outbox WHERE note_id = ? ORDER BY target', [noteId])
      return rows.map(toEntry)
    },

    start() {
      if (running) return
      running = true
      schedule()
    },

    async stop() {
      running = false
      if (timer) clearTimeout(timer)
      timer = null
      await processing
    },
  }
}
