import { writeFile } from 'node:fs/promises'
import type { Db } from '../db'
import { UserError } from '../errors'
import type { Logger } from '../logging'
import type { MediaService } from '../media'
import { isOutboundError, type Outbound } from '../outbound'
import type { LocalImage, RemoteMediaService, RemoteMediaStats } from './types'

export interface RemoteMediaDeps {
  db: Db
  media: MediaService
  outbound: Outbound
  logger: Logger
  siteBase: () => string
  /** Largest picture fetched, bytes (the upload limit is a sensible value). */
  maxBytes: number
  /** Whole fetch, redirects included, ms. Default 10 s. */
  timeoutMs?: number
  /** Fetches at once (each decodes an image: a few are plenty). Default 2. */
  concurrency?: number
  /** Waiting fetches at most; more are turned away (null, not remembered). Default 200. */
  maxWaiting?: number
  /** How long a failure is remembered before the picture is tried again, ms. Default one day. */
  retryFailedAfterMs?: number
  now?: () => number
}

interface RemoteRow {
  url: string
  media_id: number | null
  failure: string | null
  fetched_at: number
  filename: string | null
  width: number | null
  height: number | null
}

const DAY_MS = 24 * 3600 * 1000

/** scheme://host/path for logs: never the query, which may carry tokens. */
function shown(url: URL): string {
  return `${url.origin}${url.pathname}`
}

export function createRemoteMedia(deps: RemoteMediaDeps): RemoteMediaService {
  const { db, media, outbound, logger } = deps
  const now = deps.now ?? Date.now
  const concurrency = deps.concurrency ?? 2
  const maxWaiting = deps.maxWaiting ?? 200
  const retryAfter = deps.retryFailedAfterMs ?? DAY_MS
  const inflight = new Map<string, Promise<LocalImage | null>>()
  const waiting: Array<() => void> = []
  const counts = { active: 0, stored: 0, failed: 0, shed: 0 }

  const mediaUrl = (filename: string) => `${deps.siteBase()}/media/${filename}`

  function normalise(raw: string): URL | null {
    try {
      const url = new URL(raw)
      return url.protocol === 'http:' || url.protocol === 'https:' ? url : null
    } catch {
      return null
    }
  }

  function isOurs(url: URL): boolean {
    try {
      return url.origin === new URL(deps.siteBase()).origin
    } catch {
      return false
    }
  }

  async function rowsFor(urls: string[]): Promise<RemoteRow[]> {
    if (urls.length === 0) return []
    return db.all<RemoteRow>(
      `SELECT r.url, r.media_id, r.failure, r.fetched_at, m.filename, m.width, m.height
         FROM remote_media r LEFT JOIN media m ON m.id = r.media_id
        WHERE r.url IN (${urls.map(() => '?').join(', ')})`,
      urls,
    )
  }

  function toImage(row: RemoteRow): LocalImage | null {
    return row.filename ? { url: mediaUrl(row.filename), width: row.width, height: row.height } : null
  }

  async function slot(): Promise<void> {
    if (counts.active < concurrency) {
      counts.active++
      return
    }
    await new Promise<void>((resolve) => waiting.push(resolve))
    counts.active++
  }

  function release(): void {
    counts.active--
    waiting.shift()?.()
  }

  async function remember(url: string, mediaId: number | null, failure: string | null): Promise<void> {
    await db.write((conn) =>
      conn.prepare('INSERT OR REPLACE INTO remote_media (url, media_id, failure, fetched_at) VALUES (?, ?, ?, ?)').run(url, mediaId, failure, now()),
    )
  }

  /** Fetch, clean and store one picture. Resolves null on any failure (remembered when it is the remote side's). */
  async function fetchAndStore(url: URL): Promise<LocalImage | null> {
    let body: Buffer
    try {
      const fetched = await outbound.fetchBytes(url.href, {
        headers: { accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1' },
        maxBodyBytes: deps.maxBytes,
        ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
        purpose: 'a picture from another site',
      })
      if (fetched.status < 200 || fetched.status > 299) {
        await remember(url.href, null, `http-${fetched.status}`)
        counts.failed++
        logger.info('remote picture not stored', { url: shown(url), status: fetched.status })
        return null
      }
      body = fetched.body
    } catch (err) {
      // Turned off here is not the picture's fault: nothing remembered, tried again once fetching is on.
      if (isOutboundError(err) && err.reason === 'disabled') return null
      const failure = isOutboundError(err) ? err.reason : 'unreachable'
      await remember(url.href, null, failure)
      counts.failed++
      logger.info('remote picture not fetched', { url: shown(url), reason: failure })
      return null
    }
    try {
      await media.ensureDir()
      const temp = media.tempPath()
      await writeFile(temp, body, { flag: 'wx' })
      // The pipeline decides what it is from the bytes; the remote Content-Type is not trusted.
      const stored = await media.storeTempFile(temp)
      await remember(url.href, stored.id, null)
      counts.stored++
      return { url: stored.url, width: stored.width, height: stored.height }
    } catch (err) {
      // A picture the checks refuse (not an image, a polyglot, too many pixels) is the remote side's: remembered.
      if (err instanceof UserError && err.code !== 'IMAGES_BUSY') {
        await remember(url.href, null, err.code).catch(() => undefined)
        counts.failed++
        logger.info('remote picture refused by the image checks', { url: shown(url), code: err.code })
        return null
      }
      // Ours (disk, overload): not remembered, so it is tried again next time.
      logger.warn('remote picture could not be stored', { url: shown(url), err })
      return null
    }
  }

  return {
    async localize(raw) {
      const url = normalise(raw)
      if (!url) return null
      if (isOurs(url)) return { url: url.href, width: null, height: null }
      const key = url.href
      const running = inflight.get(key)
      if (running) return running
      const [row] = await rowsFor([key])
      if (row && (row.media_id !== null || now() - row.fetched_at < retryAfter)) return toImage(row)
      // Checked again: another caller may have started it while this one read the table.
      const again = inflight.get(key)
      if (again) return again
      if (waiting.length >= maxWaiting) {
        counts.shed++
        return null
      }
      const attempt = (async () => {
        await slot()
        try {
          return await fetchAndStore(url)
        } catch (err) {
          logger.warn('remote picture failed', { url: shown(url), err })
          return null
        } finally {
          release()
        }
      })().finally(() => inflight.delete(key))
      inflight.set(key, attempt)
      return attempt
    },

    async known(urls) {
      const result = new Map<string, LocalImage | null>()
      const remote: string[] = []
      for (const raw of urls) {
        const url = normalise(raw)
        if (!url) continue
        if (isOurs(url)) result.set(raw, { url: url.href, width: null, height: null })
        else remote.push(url.href)
      }
      const byUrl = new Map((await rowsFor([...new Set(remote)])).map((row) => [row.url, row]))
      for (const raw of urls) {
        const url = normalise(raw)
        if (!url || result.has(raw)) continue
        const row = byUrl.get(url.href)
        if (row) result.set(raw, toImage(row))
      }
      return result
    },

    stats(): RemoteMediaStats {
      return { active: counts.active, waiting: waiting.length, stored: counts.stored, failed: counts.failed, shed: counts.shed }
    },
  }
}
