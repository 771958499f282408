import express, { Router, type NextFunction, type Request, type Response } from 'express'
import type { ReactNode } from 'react'
import { ActionForm, AdminFrame } from '../admin/pages'
import type { AdminSession, AuthGuards } from '../auth'
import type { Config } from '../config'
import { appError } from '../errors'
import { wholeNumberParam } from '../http'
import type { Note, Properties } from '../notes'
import { renderPage } from '../web'
import type { MentionCounts, WebmentionReceiver } from './receiver'
import type { WebmentionSender } from './sender'
import { SEND_WEBMENTIONS_PROPERTY, sendsWebmentions } from './service'
import type { Moderation, OutboxEntry, StoredMention } from './types'

const PER_PAGE = 50

const DONE: Record<string, string> = {
  approved: 'Mention approved: it is shown on the note.',
  rejected: 'Mention rejected.',
  deleted: 'Mention deleted.',
  blocked: 'Domain blocked: its mentions were removed, and new ones are refused.',
  unblocked: 'Domain unblocked.',
}

const TYPE_LABEL: Record<string, string> = { reply: 'Reply', like: 'Like', repost: 'Repost', bookmark: 'Bookmark', rsvp: 'RSVP', mention: 'Mention' }

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

function MentionItem({ session, mention, slug }: { session: AdminSession; mention: StoredMention; slug: string | null }) {
  const id = String(mention.id)
  return (
    <li className="mention-item" data-mention-id={id}>
      <p>
        <strong>{TYPE_LABEL[mention.type] ?? mention.type}</strong> from <strong>{mention.author.name ?? mention.sourceHost}</strong> ({mention.sourceHost}) on{' '}
        {slug ? <a href={`/notes/${encodeURIComponent(slug)}`}>{slug}</a> : 'a note'} ·{' '}
        <a href={mention.url} rel="nofollow ugc noopener">
          source
        </a>{' '}
        · received <time dateTime={mention.createdAt}>{mention.createdAt.slice(0, 16).replace('T', ' ')} UTC</time>
        {mention.rsvp ? ` · RSVP ${mention.rsvp}` : ''}
      </p>
      {mention.contentText && <blockquote className="mention-text">{mention.contentText}</blockquote>}
      <p className="mention-actions">
        {mention.moderation === 'held' && <ActionForm session={session} action={`/admin/webmentions/${id}/approve`} label="Approve" />}{' '}
        {mention.moderation === 'held' ? (
          <ActionForm session={session} action={`/admin/webmentions/${id}/reject`} label="Reject" />
        ) : (
          <ActionForm session={session} action={`/admin/webmentions/${id}/delete`} label="Delete" />
        )}{' '}
        <ActionForm session={session} action="/admin/webmentions/block" label={`Block ${mention.sourceHost}`} fields={{ domain: mention.sourceHost }} />
      </p>
    </li>
  )
}

interface QueuePageProps {
  config: Config
  session: AdminSession
  view: Moderation
  mentions: StoredMention[]
  slugs: Map<number, string>
  counts: MentionCounts
  blocked: string[]
  page: number
  hasNext: boolean
  notice: string | null
  error?: string | null
}

export function renderQueuePage(props: QueuePageProps): string {
  const { config, session, view, mentions, slugs, counts, blocked, page, hasNext, notice, error } = props
  const pageHref = (n: number) => `/admin/webmentions?${new URLSearchParams({ view, page: String(n) }).toString()}`
  return renderPage(
    <AdminFrame config={config} session={session} title="Webmentions">
      <section className="admin-webmentions">
        <h1>Webmentions</h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <p className="mention-counts" data-counts="">
          <span data-count="held">{counts.held} waiting for approval</span> · <span data-count="approved">{counts.approved} shown</span> ·{' '}
          <span data-count="queued">{counts.queued} being verified</span>
        </p>
        <nav aria-label="Webmention views">
          <a href="/admin/webmentions?view=held" aria-current={view === 'held' ? 'page' : undefined}>
            Waiting ({counts.held})
          </a>{' '}
          ·{' '}
          <a href="/admin/webmentions?view=approved" aria-current={view === 'approved' ? 'page' : undefined}>
            Shown ({counts.approved})
          </a>
        </nav>
        <h2>{view === 'held' ? 'Waiting for approval' : 'Shown on notes'}</h2>
        {mentions.length === 0 ? (
          <p>{view === 'held' ? 'Nothing is waiting.' : 'No mentions are shown yet.'}</p>
        ) : (
          <ol className="mention-list">
            {mentions.map((mention) => (
              <MentionItem key={mention.id} session={session} mention={mention} slug={slugs.get(mention.noteId) ?? null} />
            ))}
          </ol>
        )}
        {(page > 1 || hasNext) && (
          <nav className="pagination" aria-label="Pages">
            {page > 1 && <a href={pageHref(page - 1)}>Newer</a>} {hasNext && <a href={pageHref(page + 1)}>Older</a>}
          </nav>
        )}
        <h2>Blocked domains</h2>
        <p>Webmentions from a blocked domain (and its subdomains) are refused at once.</p>
        {blocked.length > 0 && (
          <ul className="blocked-domains">
            {blocked.map((domain) => (
              <li key={domain}>
                <code>{domain}</code> <ActionForm session={session} action="/admin/webmentions/unblock" label="Unblock" fields={{ domain }} />
              </li>
            ))}
          </ul>
        )}
        <form method="post" action="/admin/webmentions/block" className="inline-form">
          <input type="hidden" name="_csrf" value={session.csrfToken} />
          <label htmlFor="block-domain">Block a domain</label> <input id="block-domain" name="domain" type="text" required maxLength={253} />{' '}
          <button type="submit">Block</button>
        </form>
      </section>
    </AdminFrame>,
  )
}

const OUTBOX_WORDS: Record<string, string> = {
  pending: 'waiting to be sent',
  sent: 'sent',
  failed: 'failed',
  'no-endpoint': 'no Webmention endpoint',
}

/** One note's conversation on its admin page: where each Webmention went and what came back; what it received. */
export function NoteConversationSection({ sent, received }: { sent: OutboxEntry[]; received: StoredMention[] }): ReactNode {
  return (
    <section className="note-conversation" aria-labelledby="conversation-heading">
      <h2 id="conversation-heading">Webmentions</h2>
      <h3>Sent</h3>
      {sent.length === 0 ? (
        <p>None sent: the note links to no other page (or sending is off).</p>
      ) : (
        <table className="outbox">
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">State</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Answer</th>
            </tr>
          </thead>
          <tbody>
            {sent.map((entry) => (
              <tr key={entry.id} data-outbox-target={entry.target} data-outbox-state={entry.state}>
                <td>
                  <a href={entry.target} rel="noopener">
                    {entry.target}
                  </a>
                </td>
                <td>
                  {OUTBOX_WORDS[entry.state] ?? entry.state}
                  {entry.attempts > 1 ? ` (${entry.attempts} tries)` : ''}
                  {entry.nextAttemptAt ? `, next try ${entry.nextAttemptAt.slice(0, 16).replace('T', ' ')} UTC` : ''}
                </td>
                <td>{entry.endpoint ?? (entry.state === 'sent' ? 'this site (recorded directly)' : '—')}</td>
                <td>
                  {entry.lastStatus !== null ? `HTTP ${entry.lastStatus}` : ''}
                  {entry.lastError ? ` ${entry.lastError}` : ''}
                  {entry.location && (
                    <>
                      {' '}
                      <a href={entry.location} rel="noopener">
                        status
                      </a>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Received</h3>
      {received.length === 0 ? (
        <p>No responses yet.</p>
      ) : (
        <ul>
          {received.map((mention) => (
            <li key={mention.id}>
              {TYPE_LABEL[mention.type] ?? mention.type} from {mention.author.name ?? hostOf(mention.source)} ({mention.moderation === 'held' ? 'waiting for approval' : 'shown'}) ·{' '}
              <a href={mention.url} rel="nofollow ugc noopener">
                source
              </a>
            </li>
          ))}
        </ul>
      )}
      <p>
        <a href="/admin/webmentions">All Webmentions</a>
      </p>
    </section>
  )
}

export interface WebmentionAdminDeps {
  config: Config
  guards: AuthGuards
  receiver: WebmentionReceiver
  /** Slugs of notes by id (for links from the queue). */
  slugsOf: (ids: number[]) => Promise<Map<number, string>>
}

/** /admin/webmentions: the moderation queue (approve, reject, delete, block a domain), behind the session and CSRF. */
export function webmentionAdminRoutes(deps: WebmentionAdminDeps): Router {
  const { config, guards, receiver } = deps
  const router = Router()
  const form = express.urlencoded({ extended: false, limit: 8 * 1024, parameterLimit: 10 })
  const protect = [
    guards.requireAdmin,
    (_req: Request, res: Response, next: NextFunction) => {
      res.set('Cache-Control', 'no-store')
      next()
    },
  ]
  const change = [...protect, form, guards.verifyCsrf]
  const session = (res: Response) => res.locals.session as AdminSession

  // The navigation badge on every admin page: how many wait for approval (one indexed count).
  router.use('/admin', async (_req, res, next) => {
    const current = res.locals.session as AdminSession | null | undefined
    if (current) current.heldMentions = (await receiver.counts()).held
    next()
  })

  async function queuePage(req: Request, res: Response, error: string | null = null, status = 200): Promise<void> {
    const view: Moderation = req.query.view === 'approved' ? 'approved' : 'held'
    const page = wholeNumberParam(req, 'page', { fallback: 1, min: 1, max: 10_000, lenient: true })
    const listed = await receiver.list({ moderation: view, limit: PER_PAGE + 1, offset: (page - 1) * PER_PAGE })
    const mentions = listed.slice(0, PER_PAGE)
    const [counts, blocked, slugs] = await Promise.all([receiver.counts(), receiver.blockedDomains(), deps.slugsOf([...new Set(mentions.map((m) => m.noteId))])])
    const done = typeof req.query.done === 'string' ? (DONE[req.query.done] ?? null) : null
    res
      .status(status)
      .type('html')
      .send(renderQueuePage({ config, session: session(res), view, mentions, slugs, counts, blocked, page, hasNext: listed.length > PER_PAGE, notice: done, error }))
  }

  router.get('/admin/webmentions', ...protect, async (req, res) => {
    await queuePage(req, res)
  })

  const mentionId = (req: Request): number => {
    const raw = String(req.params.id)
    if (!/^\d{1,12}$/.test(raw)) throw appError('NOT_FOUND')
    return Number(raw)
  }

  router.post('/admin/webmentions/:id/approve', ...change, async (req, res) => {
    if (!(await receiver.approve(mentionId(req)))) throw appError('NOT_FOUND')
    res.redirect(303, '/admin/webmentions?done=approved')
  })

  for (const action of ['reject', 'delete'] as const) {
    router.post(`/admin/webmentions/:id/${action}`, ...change, async (req, res) => {
      if (!(await receiver.remove(mentionId(req)))) throw appError('NOT_FOUND')
      res.redirect(303, `/admin/webmentions?done=${action === 'reject' ? 'rejected' : 'deleted'}${action === 'delete' ? '&view=approved' : ''}`)
    })
  }

  router.post('/admin/webmentions/block', ...change, async (req, res) => {
    const domain = typeof (req.body as Record<string, unknown>).domain === 'string' ? ((req.body as Record<string, string>).domain ?? '') : ''
    try {
      await receiver.blockDomain(domain)
    } catch (err) {
      if (err instanceof Error && 'kind' in err && (err as { kind: string }).kind === 'user') {
        await queuePage(req, res, 'That is not a domain name (for example spam.example).', 400)
        return
      }
      throw err
    }
    res.redirect(303, '/admin/webmentions?done=blocked')
  })

  router.post('/admin/webmentions/unblock', ...change, async (req, res) => {
    const domain = typeof (req.body as Record<string, unknown>).domain === 'string' ? ((req.body as Record<string, string>).domain ?? '') : ''
    await receiver.unblockDomain(domain)
    res.redirect(303, '/admin/webmentions?done=unblocked')
  })

  return router
}

/** The note form's part of Webmention: the send checkbox and the note's conversation. */
export function noteConversation(receiver: WebmentionReceiver, sender: WebmentionSender) {
  return {
    sends: (properties: Properties) => sendsWebmentions(properties),
    withSending(properties: Properties, on: boolean): Properties {
      const copy: Properties = { ...properties }
      if (on) delete copy[SEND_WEBMENTIONS_PROPERTY]
      else copy[SEND_WEBMENTIONS_PROPERTY] = ['false']
      return copy
    },
    async section(note: Note): Promise<ReactNode> {
      const [sent, received] = await Promise.all([sender.forNote(note.id), receiver.forNote(note.id, { includeHeld: true })])
      return <NoteConversationSection sent={sent} received={received} />
    },
  }
}
