// SKELETON layout: the web helper owns and polishes it (h-card, nav, feed and endpoint links).
import type { ReactNode } from 'react'
import type { Config } from '../config'

export interface LayoutProps {
  config: Config
  title: string
  children: ReactNode
  /** Extra <head> elements (e.g. rel links). */
  head?: ReactNode
}

export function Layout({ config, title, children, head }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title === config.siteName ? title : `${title} · ${config.siteName}`}</title>
        <link rel="stylesheet" href="/static/style.css" />
        {head}
      </head>
      <body>
        <header>
          <a href="/">{config.siteName}</a>
        </header>
        <main id="main">{children}</main>
      </body>
    </html>
  )
}
