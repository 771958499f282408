import type { Config } from '../config'
import type { Note } from '../notes'
import { safeUrl } from './entry-extras'
import { mediaOf, type PhotoInfo } from './photos'

/** The picture a link preview shows: an absolute URL, with its size when we know it. */
export interface PreviewImage {
  url: string
  alt: string
  width?: number
  height?: number
}

/** What a page tells link-preview crawlers (OpenGraph, Twitter cards) beyond its title and description. */
export interface PagePreview {
  type: 'website' | 'article'
  image: PreviewImage
  /** Whether the image is the page's own (a note's photo): a large card then, a small one for a portrait or icon. */
  ownImage: boolean
  publishedTime?: string
  modifiedTime?: string
}

/** The square icon crawlers get when there is no photo at all (made by the site-icon capability). */
export const PREVIEW_ICON_PATH = '/icons/icon-512.png'

/** The author's photo, else the site icon: the preview of pages that have no picture of their own. */
export function siteImage(config: Config): PreviewImage {
  const photo = config.authorPhoto ? safeUrl(config, config.authorPhoto) : null
  if (photo) return { url: photo, alt: config.authorName }
  return { url: `${config.siteUrl}${PREVIEW_ICON_PATH}`, alt: config.siteName, width: 512, height: 512 }
}

export function sitePreview(config: Config): PagePreview {
  return { type: 'website', image: siteImage(config), ownImage: false }
}

const FIRST_IMG = /<img\b[^>]*?\bsrc="([^"]*)"(?:[^>]*?\balt="([^"]*)")?/

function decodeAttribute(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

/** The note's first photo: its mf2 `photo`, else the first image of its body; null when it shows none. */
function firstPhoto(config: Config, note: Note): { url: string; alt: string } | null {
  const values = Array.isArray(note.properties.photo) ? note.properties.photo : []
  for (const value of values) {
    const record = value && typeof value === 'object' ? (value as { value?: unknown; alt?: unknown }) : null
    const url = safeUrl(config, record ? record.value : value)
    if (url) return { url, alt: typeof record?.alt === 'string' ? record.alt : '' }
  }
  const match = FIRST_IMG.exec(note.html)
  const url = match ? safeUrl(config, decodeAttribute(match[1]!)) : null
  return url ? { url, alt: decodeAttribute(match?.[2] ?? '') } : null
}

/** A note's preview: an article with its first photo (our upload's largest variant and its size), else the site image. */
export function notePreview(config: Config, note: Note, photos: PhotoInfo): PagePreview {
  const photo = firstPhoto(config, note)
  let image: PreviewImage | null = null
  if (photo) {
    const media = mediaOf(photos, photo.url)
    const largest = media?.variants[media.variants.length - 1]
    image = largest ? { url: largest.url, alt: photo.alt, width: largest.width, height: largest.height } : photo
  }
  return {
    type: 'article',
    image: image ?? siteImage(config),
    ownImage: image !== null,
    publishedTime: note.createdAt,
    modifiedTime: note.updatedAt,
  }
}

/** OpenGraph and Twitter-card tags for one page (every URL absolute, as crawlers require). */
export function PreviewTags({ config, title, description, url, preview }: { config: Config; title: string; description: string; url: string; preview: PagePreview }) {
  const { image } = preview
  return (
    <>
      <meta property="og:type" content={preview.type} />
      <meta property="og:site_name" content={config.siteName} />
      <meta property="og:title" content={title} />
      <meta property="og:description" content={description} />
      <meta property="og:url" content={url} />
      <meta property="og:image" content={image.url} />
      {image.width !== undefined && <meta property="og:image:width" content={String(image.width)} />}
      {image.height !== undefined && <meta property="og:image:height" content={String(image.height)} />}
      {image.alt && <meta property="og:image:alt" content={image.alt} />}
      {preview.publishedTime && <meta property="article:published_time" content={preview.publishedTime} />}
      {preview.modifiedTime && <meta property="article:modified_time" content={preview.modifiedTime} />}
      <meta name="twitter:card" content={preview.ownImage ? 'summary_large_image' : 'summary'} />
      <meta name="twitter:title" content={title} />
      <meta name="twitter:description" content={description} />
      <meta name="twitter:image" content={image.url} />
      {image.alt && <meta name="twitter:image:alt" content={image.alt} />}
    </>
  )
}
