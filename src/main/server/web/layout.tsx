import type { ReactNode } from 'react'
import type { AdminSession } from '../auth/types'
import type { Config } from '../config'
import { PreviewTags, type PagePreview } from './preview'

export interface LayoutProps {
  config: Config
  title: string
  children: ReactNode
  /** Extra <head> elements (e.g. rel links). */
  head?: ReactNode
  /** The admin session when signed in (changes the admin link); null/absent for visitors. */
  session?: AdminSession | null
  /** Absolute canonical URL of this page, when it has one. */
  canonical?: string
  /** Short description for <meta name="description">. */
  description?: string
  /** Link-preview tags (OpenGraph, Twitter card): public pages with a canonical URL give one. */
  preview?: PagePreview
}

/** Absolute URL on this site for a path starting with '/'. */
export function siteHref(config: Config, path: string): string {
  return `${config.siteUrl}${path}`
}

/**
 * Where this server's endpoints (Micropub, IndieAuth, Webmention) are advertised: the live server's own
 * public URL when one is set; otherwise the site URL on the live server, and nowhere in a static copy (a
 * static host answers none of them).
 */
export function endpointBase(config: Config): string | null {
  return config.publicSite.liveUrl ?? (config.staticCopy ? null : config.siteUrl)
}

/** The links Micropub/IndieAuth clients and feed readers discover from any page of the site. */
export function DiscoveryLinks({ config }: { config: Config }) {
  const href = (path: string) => siteHref(config, path)
  const endpoints = endpointBase(config)
  return (
    <>
      <link rel="alternate" type="application/rss+xml" title={`${config.siteName} (RSS)`} href={href('/feed.rss')} />
      <link rel="alternate" type="application/atom+xml" title={`${config.siteName} (Atom)`} href={href('/feed.atom')} />
      <link rel="alternate" type="application/feed+json" title={`${config.siteName} (JSON Feed)`} href={href('/feed.json')} />
      {endpoints !== null && (
        <>
          <link rel="micropub" href={`${endpoints}/micropub`} />
          <link rel="webmention" href={`${endpoints}/webmention`} />
          <link rel="indieauth-metadata" href={`${endpoints}/.well-known/oauth-authorization-server`} />
          <link rel="authorization_endpoint" href={`${endpoints}/indieauth/auth`} />
          <link rel="token_endpoint" href={`${endpoints}/indieauth/token`} />
        </>
      )}
      {config.adminMe && <link rel="me" href={config.adminMe} />}
      {config.authorLinks.map((link) => (
        <link key={link} rel="me" href={link} />
      ))}
    </>
  )
}

/** The site icon in every size browsers and home screens ask for (served by the site-icon capability). */
export function IconLinks() {
  return (
    <>
      <link rel="icon" href="/favicon.ico" sizes="16x16 32x32 48x48" />
      <link rel="icon" type="image/png" sizes="192x192" href="/icons/icon-192.png" />
      <link rel="apple-touch-icon" href="/apple-touch-icon.png" />
      <link rel="manifest" href="/manifest.webmanifest" />
    </>
  )
}

/** A profile link's text: its host and path, without the scheme (https://github.com/ada → github.com/ada). */
function linkLabel(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`
  } catch {
    return url
  }
}

/**
 * The author's h-card: name, photo, URL (their IndieAuth identity, rel=me), used site-wide and inside
 * entries. `full` (the site-wide one in the footer) adds the short bio and the rel=me profile links.
 */
export function AuthorCard({ config, className = 'h-card', full = false }: { config: Config; className?: string; full?: boolean }) {
  const url = config.adminMe ?? `${config.siteUrl}/`
  return (
    <span className={className}>
      {config.authorPhoto && (
        <>
          <img className="u-photo author-photo" src={config.authorPhoto} alt="" width={32} height={32} />{' '}
        </>
      )}
      <a className="p-name u-url" href={url} rel={config.adminMe ? 'me' : 'author'}>
        {config.authorName}
      </a>
      {full && config.authorBio && (
        <>
          {' '}
          — <span className="p-note">{config.authorBio}</span>
        </>
      )}
      {full &&
        config.authorLinks.map((link) => (
          <span key={link}>
            {' · '}
            <a className="u-url" rel="me" href={link}>
              {linkLabel(link)}
            </a>
          </span>
        ))}
    </span>
  )
}

/**
 * Site-wide links that need the server: on a static copy, search and the admin area live at the live
 * server's URL (or the copy's search stub, and no admin link), and the feed link names a file.
 */
function navTargets(config: Config): { search: string; feed: string; admin: string | null } {
  if (!config.staticCopy) return { search: '/search', feed: '/feed', admin: '/admin' }
  const live = config.publicSite.liveUrl
  return { search: live ? `${live}/search` : '/search/', feed: '/feed.rss', admin: live ? `${live}/admin` : null }
}

/** The one page frame for public pages, the admin area and error pages. No inline styles or scripts (CSP). */
export function Layout({ config, title, children, head, session, canonical, description, preview }: LayoutProps) {
  const nav = navTargets(config)
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title === config.siteName ? title : `${title} · ${config.siteName}`}</title>
        {description && <meta name="description" content={description} />}
        <meta name="color-scheme" content="light dark" />
        <link rel="stylesheet" href="/static/style.css" />
        {canonical && <link rel="canonical" href={canonical} />}
        {canonical && config.websubHub && (
          <>
            <link rel="hub" href={config.websubHub} />
            <link rel="self" href={canonical} />
          </>
        )}
        {canonical && preview && <PreviewTags config={config} title={title} description={description ?? config.siteName} url={canonical} preview={preview} />}
        <IconLinks />
        <DiscoveryLinks config={config} />
        {head}
      </head>
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <a className="site-name" href="/">
            {config.siteName}
          </a>
          <nav aria-label="Site">
            <form className="search-form" role="search" method="get" action={nav.search}>
              <label htmlFor="site-search-q" className="visually-hidden">
                Search notes
              </label>
              <input id="site-search-q" type="search" name="q" placeholder="Search notes" minLength={2} maxLength={100} required />
              <button type="submit">Search</button>
            </form>
            <a href={nav.feed}>Feed</a>
            {nav.admin !== null && <a href={nav.admin}>{session ? 'Dashboard' : 'Admin'}</a>}
          </nav>
        </header>
        <main id="main">{children}</main>
        <footer className="site-footer">
          <p>
            Notes by <AuthorCard config={config} full /> · <a href="/feed.rss">RSS</a> · <a href="/feed.atom">Atom</a> ·{' '}
            <a href="/feed.json">JSON Feed</a>
          </p>
        </footer>
      </body>
    </html>
  )
}
