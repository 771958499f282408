import type { Db } from '../db'
import { FEED_TYPES } from '../feeds'
import type { Logger } from '../logging'
import type { NotesService, NoteWriteEvent } from '../notes'
import { isOutboundError, type Outbound } from '../outbound'

/** Waits before the 2nd, 3rd and 4th attempt of one ping, ms: then the hub is left alone until the next change. */
export const WEBSUB_RETRY_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000]
/** One ping, the whole exchange: a hub answers at once (it fetches the topics later, on its own). */
const PING_TIMEOUT_MS = 10_000
/** A hub's answer body is a status line at most: nothing of it is kept. */
const PING_MAX_BODY_BYTES = 16 * 1024
/** Outbound failures that may pass (the hub down or slow); a refused address or a disabled fetch will not. */
const TRANSIENT = new Set(['unreachable', 'timeout', 'unknown-host', 'too-large'])

export interface WebSubPublisherDeps {
  /** The hub's URL (STARPUNK_WEBSUB_HUB); null: notify() does nothing. */
  hub: string | null
  outbound: Pick<Outbound, 'fetchText'>
  logger: Logger
  retryDelaysMs?: readonly number[]
}

export interface WebSubPublisher {
  /**
   * Tell the hub these topics changed: queued, coalesced with other changes, sent in the background (never
   * awaited by a request). Failures are logged and retried WEBSUB_RETRY_DELAYS_MS.length times.
   */
  notify(topics: readonly string[]): void
  /** Resolves when nothing is queued or being sent (tests, shutdown). */
  idle(): Promise<void>
  /** Stop: waits between retries end, queued topics are dropped. */
  close(): void
  readonly stats: { sent: number; failed: number }
}

type Attempt = { ok: true } | { ok: false; retry: boolean; why: string }

/**
 * WebSub publishing (W3C WebSub §3 leaves it to the hub; PubSubHubbub 0.4 §7 is what hubs accept):
 * `POST hub` with `hub.mode=publish` and one `hub.url` per changed topic, form-encoded. One ping is in
 * flight at a time; changes arriving meanwhile (or during a retry's wait) go into the next one.
 */
export function createWebSubPublisher({ hub, outbound, logger, retryDelaysMs = WEBSUB_RETRY_DELAYS_MS }: WebSubPublisherDeps): WebSubPublisher {
  const pending = new Set<string>()
  const stats = { sent: 0, failed: 0 }
  let running: Promise<void> | null = null
  let closed = false
  let wake: (() => void) | null = null
  let timer: NodeJS.Timeout | null = null

  async function ping(topics: string[]): Promise<Attempt> {
    const body = new URLSearchParams([['hub.mode', 'publish'], ...topics.map((topic): [string, string] => ['hub.url', topic])])
    try {
      const res = await outbound.fetchText(hub!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
        timeoutMs: PING_TIMEOUT_MS,
        maxBodyBytes: PING_MAX_BODY_BYTES,
        maxRedirects: 0,
        purpose: 'the WebSub hub',
      })
      if (res.status >= 200 && res.status < 300) return { ok: true }
      // 4xx: the hub refuses this request as such (sending it again changes nothing), but 408 and 429.
      const retry = res.status >= 500 || res.status === 408 || res.status === 429
      return { ok: false, retry, why: `the hub answered ${res.status}` }
    } catch (err) {
      if (isOutboundError(err)) return { ok: false, retry: TRANSIENT.has(err.reason), why: err.detail }
      return { ok: false, retry: true, why: err instanceof Error ? err.message : String(err) }
    }
  }

  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      wake = resolve
      timer = setTimeout(resolve, ms)
      timer.unref()
    })
  }

  async function drain(): Promise<void> {
    while (pending.size > 0 && !closed) {
      const topics = [...pending]
      pending.clear()
      for (let attempt = 0; ; attempt++) {
        // Changes made while waiting to retry ride along.
        for (const topic of pending) if (!topics.includes(topic)) topics.push(topic)
        pending.clear()
        const result = await ping(topics)
        if (result.ok) {
          stats.sent++
          logger.info('websub hub notified', { hub, topics: topics.length, attempt: attempt + 1 })
          break
        }
        const last = !result.retry || attempt >= retryDelaysMs.length || closed
        logger.warn(last ? 'websub ping failed, giving up until the next change' : 'websub ping failed, will retry', {
          hub,
          attempt: attempt + 1,
          reason: result.why,
        })
        if (last) {
          stats.failed++
          break
        }
        await wait(retryDelaysMs[attempt]!)
        if (closed) return
      }
    }
  }

  function start(): void {
    if (running || closed || pending.size === 0) return
    // After the current turn: the write that called us has committed and its siblings are queued too.
    running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(drain)
      .catch((err: unknown) => logger.error('websub publisher failed', { err }))
      .finally(() => {
        running = null
        start()
      })
  }

  return {
    stats,
    notify(topics) {
      if (!hub || closed) return
      for (const topic of topics) pending.add(topic)
      start()
    },
    async idle() {
      while (running) await running
    },
    close() {
      closed = true
      pending.clear()
      if (timer) clearTimeout(timer)
      wake?.()
    },
  }
}

/** The topics one note change touches: the feeds, the home page and the note's permalink. */
export function topicsOf(siteUrl: string, event: NoteWriteEvent): string[] {
  // A new draft changes nothing anyone can see; any other change may (an edit can publish or unpublish).
  if (event.type === 'created' && !event.note.published) return []
  const slug = event.type === 'purged' ? event.slug : event.note.slug
  return [`${siteUrl}/`, ...Object.values(FEED_TYPES).map((feed) => `${siteUrl}${feed.path}`), `${siteUrl}/notes/${encodeURIComponent(slug)}`]
}

/**
 * Ping the hub after every committed note change: the write hook collects the topics inside the
 * transaction, and the database's change listener (after COMMIT) hands them over. A rolled-back write
 * leaves its topics for the next commit: at worst one needless ping, never a missed one. Returns the
 * unsubscribe function.
 */
export function publishNoteChanges(deps: { siteUrl: string; notes: Pick<NotesService, 'onWrite'>; db: Pick<Db, 'onChange'>; publisher: WebSubPublisher }): () => void {
  const collected: string[] = []
  const offWrite = deps.notes.onWrite((_conn, event) => {
    collected.push(...topicsOf(deps.siteUrl, event))
  })
  const offChange = deps.db.onChange(() => {
    if (collected.length > 0) deps.publisher.notify(collected.splice(0))
  })
  return () => {
    offWrite()
    offChange()
  }
}
