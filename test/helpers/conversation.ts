import { mf2 } from 'microformats-parser'
import type { OutboxEntry, StoredMention } from '../../src/main/server/webmention'
import type { TestServer } from './server'

/** Wait until `check` returns a value (polling a real server's state), or fail naming what was awaited. */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, limitMs = 30_000): Promise<T> {
  const deadline = Date.now() + limitMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** A note's outbox once nothing in it is pending any more (every target told, or given up). */
export async function settledOutbox(ts: TestServer, noteId: number): Promise<OutboxEntry[]> {
  return until(`the outbox of note ${noteId} to settle`, async () => {
    const entries = await ts.server.context.webmention.sender.forNote(noteId)
    return entries.length > 0 && entries.every((entry) => entry.state !== 'pending') ? entries : null
  })
}

/** Every received Webmention verified (none queued). */
export async function queueDrained(ts: TestServer): Promise<void> {
  await until('the Webmention queue to drain', async () => (await ts.server.context.webmention.receiver.counts()).queued === 0)
}

/** Mentions a note has (held included). */
export function mentionsOf(ts: TestServer, noteId: number): Promise<StoredMention[]> {
  return ts.server.context.webmention.receiver.forNote(noteId, { includeHeld: true })
}

/** The note page's h-entry as microformats-parser reads it. */
export async function entryOf(url: string): Promise<Record<string, unknown[]>> {
  const res = await fetch(url)
  const html = await res.text()
  const doc = mf2(html, { baseUrl: url })
  const entry = doc.items.find((item) => item.type?.includes('h-entry'))
  if (!entry) throw new Error(`no h-entry on ${url} (HTTP ${res.status})`)
  return entry.properties
}
