import type { Config } from '../config'
import { lazyRequire } from '../lazy'
import type { PublicIndex } from '../notes'
import { noteUrl, siteHref, tagPath } from '../web'

/** The sitemap protocol allows 50,000 URLs in one file: room for the home page, the notes and the tags. */
export const SITEMAP_MAX_NOTES = 45_000
export const SITEMAP_MAX_TAGS = 4_000

/** Loaded when the sitemap is first built (see lazy/). */
const xml = lazyRequire<typeof import('xmlbuilder2')>('xmlbuilder2')

export const SITEMAP_NAMESPACE = 'http://www.sitemaps.org/schemas/sitemap/0.9'

/** sitemap.xml (sitemaps.org 0.9): the home page, every public note's permalink and every tag page, with lastmod. */
export function buildSitemap(config: Config, index: PublicIndex): string {
  const root = xml().create({ version: '1.0', encoding: 'UTF-8' }).ele(SITEMAP_NAMESPACE, 'urlset')
  const add = (loc: string, lastmod: string | undefined) => {
    const url = root.ele('url')
    url.ele('loc').txt(loc)
    if (lastmod) url.ele('lastmod').txt(lastmod)
  }
  const newest = index.notes.reduce<string | undefined>((latest, note) => (latest === undefined || note.updatedAt > latest ? note.updatedAt : latest), undefined)
  add(siteHref(config, '/'), newest)
  for (const note of index.notes) add(noteUrl(config, note.slug), note.updatedAt)
  for (const tag of index.tags) add(siteHref(config, tagPath(tag.name)), tag.updatedAt)
  return root.end({ prettyPrint: true })
}

/**
 * Paths crawlers have no business in: the admin area and the console inside it, Micropub, IndieAuth, the
 * Webmention endpoint, the JSON APIs, health and metrics. Pages, tags, feeds, media and search stay open
 * (search pages say noindex themselves, which a crawler only sees when it may fetch them).
 */
export const DISALLOWED_PATHS = ['/admin', '/micropub', '/indieauth', '/webmention', '/api/', '/health', '/metrics', '/.well-known/oauth-authorization-server']

/** robots.txt: crawling allowed but for DISALLOWED_PATHS, and where the sitemap is. */
export function buildRobots(config: Config): string {
  const lines = ['User-agent: *', 'Allow: /', ...DISALLOWED_PATHS.map((path) => `Disallow: ${path}`), '', `Sitemap: ${siteHref(config, '/sitemap.xml')}`, '']
  return lines.join('\n')
}
