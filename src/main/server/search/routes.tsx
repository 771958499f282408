// `/search` (HTML page) and `/api/search` (JSON). Thin: parse parameters, ask the service, render.
import { Router, type Response } from 'express'
import type { AdminSession } from '../auth/types'
import type { Config } from '../config'
import { AppError, appError, errorFormat } from '../errors'
import { stringParam, wholeNumberParam } from '../http'
import { Layout, noteUrl, renderPage } from '../web'
import { MAX_QUERY_LENGTH } from './query'
import { MAX_SEARCH_LIMIT } from './service'
import type { SearchHit, SearchService } from './types'

export const DEFAULT_API_LIMIT = 20
export const PAGE_SIZE = 20
const MAX_PAGE = 10_000
const MAX_OFFSET = MAX_PAGE * MAX_SEARCH_LIMIT

export interface SearchRoutesDeps {
  config: Config
  search: SearchService
}

function badRequest(detail: string) {
  return appError('BAD_REQUEST', { vars: { detail } })
}

function sessionOf(res: Response): AdminSession | null {
  return res.locals.session ?? null
}

interface SearchPageData {
  config: Config
  session: AdminSession | null
  q: string
  engine: string | null
  hits: SearchHit[]
  total: number
  page: number
  error: { message: string; suggestion: string; requestId: string } | null
  disabled: boolean
}

function pageHref(q: string, page: number): string {
  const params = new URLSearchParams({ q })
  if (page > 1) params.set('page', String(page))
  return `/search?${params.toString()}`
}

function SearchPage(data: SearchPageData) {
  const { config, q, hits, total, page, error, disabled } = data
  const totalPages = Math.max(1, Math.ceil(total / PAGE_SIZE))
  const title = q && !error ? `Search: ${q}` : 'Search'
  return (
    <Layout config={config} title={title} session={data.session} description={`Search the notes of ${config.siteName}`} head={<meta name="robots" content="noindex" />}>
      <section className="search">
        <h1>Search</h1>
        {config.staticCopy && !config.publicSite.liveUrl ? (
          // A static copy's search stub: nothing here can run a query.
          <p className="notice" role="status">
            This copy of the site cannot search. Browse the notes from the <a href="/">home page</a> or the <a href="/feed.rss">feed</a> instead.
          </p>
        ) : disabled ? (
          <p className="notice" role="status">
            Search is turned off on this site. Browse the notes from the <a href="/">home page</a> instead.
          </p>
        ) : (
          <form method="get" action={config.staticCopy && config.publicSite.liveUrl ? `${config.publicSite.liveUrl}/search` : '/search'} role="search">
            <label htmlFor="search-q">Search notes</label>{' '}
            <input id="search-q" type="search" name="q" defaultValue={q} maxLength={MAX_QUERY_LENGTH} required />{' '}
            <button type="submit">Search</button>
            <p className="hint">
              All words must match. Use &quot;double quotes&quot; for an exact phrase and a trailing * for a word prefix (caf*).
            </p>
          </form>
        )}
        {error && (
          <div className="error" role="alert">
            <p>{error.message}</p>
            <p>{error.suggestion}</p>
            <p>
              Request ID: <code>{error.requestId}</code>
            </p>
          </div>
        )}
        {!disabled && !config.staticCopy && !error && q === '' && <p className="empty">Type a word or phrase to search the notes.</p>}
        {!disabled && !error && q !== '' && total === 0 && (
          <p className="empty" role="status">
            No notes match “{q}”. Try fewer or shorter words, or a prefix such as <code>word*</code>.
          </p>
        )}
        {!error && total > 0 && (
          <>
            <p className="result-count" role="status">
              {total === 1 ? '1 note matches' : `${total} notes match`} “{q}”
              {totalPages > 1 ? ` (page ${page} of ${totalPages})` : ''}.
            </p>
            <ol className="search-results" start={(page - 1) * PAGE_SIZE + 1}>
              {hits.map((hit) => (
                <li key={hit.slug} className="search-result">
                  <a href={noteUrl(config, hit.slug)}>{hit.title ?? hit.slug}</a>{' '}
                  {!hit.published && <span className="marker">draft</span>} {hit.deletedAt && <span className="marker">deleted</span>}{' '}
                  <time dateTime={hit.createdAt}>{hit.createdAt.slice(0, 10)}</time>
                  {/* The snippet is escaped HTML by construction (search/snippet.ts): only our <mark> tags are markup. */}
                  <p className="snippet" dangerouslySetInnerHTML={{ __html: hit.snippet }} />
                </li>
              ))}
            </ol>
            {totalPages > 1 && (
              <nav className="pagination" aria-label="Result pages">
                {page > 1 ? (
                  <a href={pageHref(q, page - 1)} rel="prev">
                    ← Previous
                  </a>
                ) : (
                  <span />
                )}
                <span>
                  Page {page} of {totalPages}
                </span>
                {page < totalPages ? (
                  <a href={pageHref(q, page + 1)} rel="next">
                    Next →
                  </a>
                ) : (
                  <span />
                )}
              </nav>
            )}
          </>
        )}
      </section>
    </Layout>
  )
}

export function searchRoutes({ config, search }: SearchRoutesDeps): Router {
  const router = Router()
  router.use('/api/search', errorFormat('json'))

  router.get('/search', async (req, res) => {
    const session = sessionOf(res)
    const data: SearchPageData = { config, session, q: '', engine: search.engine, hits: [], total: 0, page: 1, error: null, disabled: search.engine === null }
    let status = 200
    try {
      const q = stringParam(req, 'q') ?? ''
      // Keep what was typed in the box even when it is rejected (trimmed to what the box accepts).
      data.q = Array.from(q).slice(0, MAX_QUERY_LENGTH * 2).join('')
      data.page = wholeNumberParam(req, 'page', { fallback: 1, min: 1, max: MAX_PAGE })
      if (!data.disabled && q.trim() !== '') {
        const result = await search.search({ q, limit: PAGE_SIZE, offset: (data.page - 1) * PAGE_SIZE, includeDrafts: session !== null })
        data.hits = result.hits
        data.total = result.total
        if (result.hits.length === 0 && data.page > 1 && result.total > 0) throw appError('NOT_FOUND')
      }
    } catch (err) {
      if (!(err instanceof AppError) || err.kind !== 'user' || err.code === 'NOT_FOUND') throw err
      status = err.status
      data.error = { message: err.info.message, suggestion: err.info.suggestion, requestId: res.locals.requestId ?? '' }
    }
    res.status(status).type('html').setHeader('Cache-Control', 'no-store')
    res.send(renderPage(<SearchPage {...data} />))
  })

  router.get('/api/search', async (req, res) => {
    const q = stringParam(req, 'q') ?? ''
    if (!q.trim()) throw badRequest('q is required: the words to search for.')
    const limit = wholeNumberParam(req, 'limit', { fallback: DEFAULT_API_LIMIT, min: 1, max: MAX_SEARCH_LIMIT, capAtMax: true })
    const offset = wholeNumberParam(req, 'offset', { fallback: 0, min: 0, max: MAX_OFFSET })
    const session = sessionOf(res)
    const { hits, total } = await search.search({ q, limit, offset, includeDrafts: session !== null })
    res.setHeader('Cache-Control', 'no-store')
    res.json({
      query: q,
      engine: search.engine,
      total,
      limit,
      offset,
      results: hits.map((hit) => ({
        slug: hit.slug,
        url: noteUrl(config, hit.slug),
        title: hit.title,
        snippet: hit.snippet,
        published: hit.published,
        deleted: hit.deletedAt !== null,
        created_at: hit.createdAt,
        rank: hit.rank,
      })),
    })
  })

  return router
}
