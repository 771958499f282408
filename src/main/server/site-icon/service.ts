import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from '../config'
import { encodeIco, makeIconSet, type IconSet } from '../images'
import type { Logger } from '../logging'
import type { MediaService } from '../media'

/** One icon file as served. */
export interface IconFile {
  body: Buffer
  type: string
  etag: string
}

export const ICON_PATHS = {
  favicon: '/favicon.ico',
  appleTouch: '/apple-touch-icon.png',
  /** Older iOS asks for this name without looking at the page. */
  appleTouchPrecomposed: '/apple-touch-icon-precomposed.png',
  manifest: '/manifest.webmanifest',
  png: (size: number) => `/icons/icon-${size}.png`,
} as const

export interface SiteIconsDeps {
  config: Config
  media: Pick<MediaService, 'filenameOf' | 'find' | 'dir'>
  logger: Logger
}

export interface SiteIcons {
  /** The icon (or manifest) served at `path`; null for a path that is none of them. */
  file(path: string): Promise<IconFile | null>
  /** Every path `file` answers. */
  readonly paths: readonly string[]
}

function iconFile(body: Buffer, type: string): IconFile {
  return { body, type, etag: `"${createHash('sha1').update(body).digest('base64url')}"` }
}

/**
 * The site icon in every form, made from the author's photo when it is an upload of this site (an outside
 * URL is never fetched for this: the built-in icon stands in), else from the built-in one. Made on first
 * request and kept until the photo (or the site's name, for the manifest) changes: saving a new photo on
 * the profile page changes `config.authorPhoto`, and the next request makes the new set.
 */
export function createSiteIcons({ config, media, logger }: SiteIconsDeps): SiteIcons {
  let current: { key: string; files: Promise<Map<string, IconFile>> } | null = null

  async function photoBytes(photo: string | null): Promise<Buffer | null> {
    if (!photo) return null
    const name = media.filenameOf(photo)
    if (!name) return null
    const found = await media.find(name)
    return found ? readFile(join(media.dir, found.filename)) : null
  }

  async function iconSet(photo: string | null): Promise<IconSet> {
    try {
      const bytes = await photoBytes(photo)
      if (bytes) return await makeIconSet(bytes)
    } catch (err) {
      // A photo removed from disk or one sharp cannot read: the site keeps an icon, the log says why.
      logger.warn('site icon: the author photo could not be used, serving the built-in icon', { err })
    }
    return makeIconSet(null)
  }

  async function build(photo: string | null, siteName: string): Promise<Map<string, IconFile>> {
    const set = await iconSet(photo)
    const files = new Map<string, IconFile>()
    files.set(ICON_PATHS.favicon, iconFile(encodeIco(set.ico), 'image/x-icon'))
    for (const icon of set.png) files.set(ICON_PATHS.png(icon.size), iconFile(icon.png, 'image/png'))
    const apple = iconFile(set.appleTouch.png, 'image/png')
    files.set(ICON_PATHS.appleTouch, apple)
    files.set(ICON_PATHS.appleTouchPrecomposed, apple)
    const manifest = {
      name: siteName,
      short_name: siteName.slice(0, 12),
      start_url: '/',
      display: 'browser',
      icons: set.png.filter((icon) => icon.size >= 192).map((icon) => ({ src: ICON_PATHS.png(icon.size), sizes: `${icon.size}x${icon.size}`, type: 'image/png' })),
    }
    files.set(ICON_PATHS.manifest, iconFile(Buffer.from(JSON.stringify(manifest), 'utf8'), 'application/manifest+json; charset=utf-8'))
    return files
  }

  const paths = [ICON_PATHS.favicon, ICON_PATHS.appleTouch, ICON_PATHS.appleTouchPrecomposed, ICON_PATHS.manifest, ...[32, 192, 512].map(ICON_PATHS.png)]

  return {
    paths,
    async file(path) {
      if (!paths.includes(path)) return null
      const key = JSON.stringify([config.authorPhoto, config.siteName])
      if (!current || current.key !== key) {
        const files = build(config.authorPhoto, config.siteName)
        current = { key, files }
        // A failed build (the built-in icon itself failing) is not kept: the next request tries again.
        files.catch(() => {
          if (current?.files === files) current = null
        })
      }
      return (await current.files).get(path) ?? null
    },
  }
}
