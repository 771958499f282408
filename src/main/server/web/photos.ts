import type { Config } from '../config'
import type { MediaService, StoredMedia } from '../media'
import type { Note } from '../notes'
import { entryExtras } from './entry-extras'

/** What pages and feeds need of the media capability: the variants of our own uploads. */
export type PhotoSource = Pick<MediaService, 'describe' | 'filenameOf'>

/** Our uploads shown on one page or feed, by file name (the largest's name and every variant's). */
export interface PhotoInfo {
  byName: Map<string, StoredMedia>
  filenameOf(url: string): string | null
}

export const NO_PHOTO_INFO: PhotoInfo = { byName: new Map(), filenameOf: () => null }

/** The column is 44rem wide (less 2rem of padding on a phone); a grid cell is half of it. */
export const PHOTO_SIZES = '(max-width: 46rem) calc(100vw - 2rem), 44rem'
export const GRID_SIZES = '(max-width: 46rem) calc(50vw - 1.5rem), 21.5rem'

const SRC = /\bsrc="([^"]*)"/g

/** One query for every upload the notes show (in their HTML or as mf2 photos). */
export async function photoInfoFor(source: PhotoSource | undefined, config: Config, notes: Note[]): Promise<PhotoInfo> {
  if (!source) return NO_PHOTO_INFO
  const names: string[] = []
  for (const note of notes) {
    for (const match of note.html.matchAll(SRC)) {
      const name = source.filenameOf(decodeAttribute(match[1]!))
      if (name) names.push(name)
    }
    for (const photo of entryExtras(config, note).photos) {
      const name = source.filenameOf(photo.url)
      if (name) names.push(name)
    }
  }
  return { byName: await source.describe(names), filenameOf: (url) => source.filenameOf(url) }
}

/** The upload a URL shows, when it is one of ours with variants. */
export function mediaOf(info: PhotoInfo, url: string): StoredMedia | null {
  const name = info.filenameOf(url)
  const media = name ? info.byName.get(name) : undefined
  return media && media.variants.length > 0 ? media : null
}

/** Images in page order: the first one (top of the first entry) loads at once, every later one lazily. */
export class ImageOrder {
  private seen = 0
  next(): 'lazy' | undefined {
    return this.seen++ === 0 ? undefined : 'lazy'
  }
}

export interface ResponsiveAttributes {
  src: string
  srcSet: string
  sizes: string
  width: number
  height: number
}

/** src (the largest variant), srcset from every variant, and the largest's size so nothing shifts. */
export function responsiveAttributes(media: StoredMedia, sizes: string): ResponsiveAttributes {
  const largest = media.variants[media.variants.length - 1]!
  return {
    src: largest.url,
    srcSet: media.variants.map((v) => `${v.url} ${v.width}w`).join(', '),
    sizes,
    width: largest.width,
    height: largest.height,
  }
}

function decodeAttribute(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

function encodeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

const IMG = /<img\b([^>]*?)\s*\/?>/g
const ATTRIBUTE = /([a-zA-Z-]+)="([^"]*)"/g
/** Attributes this rewrite sets itself (the sanitiser lets authors write width/height/loading). */
const OWN = new Set(['src', 'srcset', 'sizes', 'width', 'height', 'loading', 'class'])

/**
 * The note's sanitised HTML with every image of ours made responsive (srcset, sizes, width/height) and every
 * image after the first on the page lazy. Images of other sites only get the loading attribute. `photoUrls`
 * are the note's mf2 photos: their <img> is marked u-photo.
 */
export function responsiveHtml(html: string, info: PhotoInfo, order: ImageOrder, photoUrls: Set<string> = new Set()): string {
  return html.replace(IMG, (tag: string, body: string) => {
    const attributes = new Map<string, string>()
    for (const match of body.matchAll(ATTRIBUTE)) attributes.set(match[1]!.toLowerCase(), match[2]!)
    const rawSrc = attributes.get('src')
    if (rawSrc === undefined) return tag
    const src = decodeAttribute(rawSrc)
    const media = mediaOf(info, src)
    const out: string[] = []
    const loading = order.next()
    if (media) {
      const r = responsiveAttributes(media, PHOTO_SIZES)
      out.push(`src="${encodeAttribute(r.src)}"`, `srcset="${encodeAttribute(r.srcSet)}"`, `sizes="${r.sizes}"`, `width="${r.width}"`, `height="${r.height}"`)
      if (photoUrls.has(src) || photoUrls.has(r.src)) out.push('class="u-photo"')
    } else {
      out.push(`src="${rawSrc}"`)
      for (const keep of ['width', 'height']) if (attributes.has(keep)) out.push(`${keep}="${attributes.get(keep)!}"`)
    }
    for (const [name, value] of attributes) if (!OWN.has(name)) out.push(`${name}="${value}"`)
    if (loading) out.push(`loading="${loading}"`)
    return `<img ${out.join(' ')} />`
  })
}
