import type { Properties } from '../notes'

/** A photo of a note as the editor shows it: its URL and alt text. */
export interface NotePhoto {
  url: string
  alt: string
}

/** Most photos one note may carry (the form, and one request's files). */
export const MAX_PHOTOS = 20

/** Longest alt text kept, in characters (a description, not an essay). */
export const MAX_ALT_LENGTH = 1000

/** The note's photos from its mf2 `photo` property (`"url"` or `{ "value": url, "alt": text }`). */
export function photosOf(properties: Properties): NotePhoto[] {
  const values = Array.isArray(properties.photo) ? properties.photo : []
  return values.flatMap((value): NotePhoto[] => {
    if (typeof value === 'string') return [{ url: value, alt: '' }]
    if (value && typeof value === 'object') {
      const record = value as { value?: unknown; alt?: unknown }
      if (typeof record.value === 'string') return [{ url: record.value, alt: typeof record.alt === 'string' ? record.alt : '' }]
    }
    return []
  })
}

/** The note's properties with `photo` replaced (removed when there are none); other properties kept. */
export function withPhotos(properties: Properties, photos: NotePhoto[]): Properties {
  const next: Properties = { ...properties }
  if (photos.length === 0) delete next.photo
  else next.photo = photos.map((photo) => ({ value: photo.url, alt: photo.alt }))
  return next
}

/** One row of the form's photo list, in the order the author left it. */
export type PhotoSlot = { kind: 'kept'; url: string; alt: string } | { kind: 'new'; alt: string }

function cleanAlt(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_ALT_LENGTH)
}

/**
 * Read the photo list of a submitted note form. Each row sends `photo_item` (a kept photo's URL, or `new`
 * for the next uploaded file), `photo_alt` and `photo_position`, always all three, so the arrays line up.
 * `photo_remove` names kept URLs to drop (the no-JavaScript way to remove). Rows are ordered by position
 * (how reordering works without JavaScript; with it, the script keeps the positions in step).
 * Only URLs `mayKeep` accepts stay (the note's own photos, uploads of this site): a form cannot slip in an
 * arbitrary URL.
 */
export function readPhotoSlots(fields: Record<string, string[]>, mayKeep: (url: string) => boolean): PhotoSlot[] {
  const items = fields.photo_item ?? []
  const alts = fields.photo_alt ?? []
  const positions = fields.photo_position ?? []
  const removed = new Set(fields.photo_remove ?? [])
  const rows: Array<{ slot: PhotoSlot; position: number; index: number }> = []
  items.forEach((item, index) => {
    const alt = cleanAlt(alts[index])
    const raw = Number.parseInt(positions[index] ?? '', 10)
    const position = Number.isFinite(raw) ? raw : index + 1
    if (item === 'new') rows.push({ slot: { kind: 'new', alt }, position, index })
    else if (!removed.has(item) && mayKeep(item)) rows.push({ slot: { kind: 'kept', url: item, alt }, position, index })
  })
  rows.sort((a, b) => a.position - b.position || a.index - b.index)
  return rows.map((row) => row.slot)
}

/**
 * Put uploaded files in the places of the `new` rows, in order; files without a row (the plain file input,
 * without JavaScript) go at the end with no alt text, and the form then asks for it.
 */
export function placeUploads(slots: PhotoSlot[], uploaded: string[]): NotePhoto[] {
  const queue = [...uploaded]
  const photos: NotePhoto[] = []
  for (const slot of slots) {
    if (slot.kind === 'kept') photos.push({ url: slot.url, alt: slot.alt })
    else {
      const url = queue.shift()
      if (url) photos.push({ url, alt: slot.alt })
    }
  }
  for (const url of queue) photos.push({ url, alt: '' })
  return photos
}
