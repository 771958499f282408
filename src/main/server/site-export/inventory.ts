import type { MediaService } from '../media'
import { POST_TYPES, type NotesService } from '../notes'
import type { SiteInventory } from './types'

const BATCH = 500

/**
 * What the site holds, read from the notes and media services. Lists ask for excerpts of every note
 * (`excerptAboveHtmlBytes: 0`), so no note's HTML crosses from the reader threads just to learn its slug.
 */
export function siteInventory(notes: NotesService, media: Pick<MediaService, 'list'>, extraLists?: () => Promise<string[]>): SiteInventory {
  async function slugs(options: { onlyDeleted?: boolean }): Promise<Array<{ slug: string; published: boolean }>> {
    const found: Array<{ slug: string; published: boolean }> = []
    for (let offset = 0; ; offset += BATCH) {
      const page = await notes.list({
        limit: BATCH,
        offset,
        withTotal: false,
        excerptAboveHtmlBytes: 0,
        ...(options.onlyDeleted ? { onlyDeleted: true, includeDeleted: true, includeDrafts: true } : {}),
      })
      for (const note of page.notes) found.push({ slug: note.slug, published: note.published })
      if (!page.hasMore) return found
    }
  }
  return {
    publishedSlugs: async () => (await slugs({})).map((n) => n.slug),
    // A deleted draft was never public: its address is not announced as gone.
    goneSlugs: async () => (await slugs({ onlyDeleted: true })).filter((n) => n.published).map((n) => n.slug),
    tags: async () => (await notes.tags()).map((tag) => tag.name),
    // The /type/<type> archives of the types that have public notes, then any other lists asked for.
    async extraLists() {
      const paths: string[] = []
      for (const postType of POST_TYPES) {
        const page = await notes.list({ limit: 1, offset: 0, withTotal: false, excerptAboveHtmlBytes: 0, postType })
        if (page.notes.length > 0) paths.push(`/type/${postType}`)
      }
      return extraLists ? [...paths, ...(await extraLists())] : paths
    },
    async mediaFiles() {
      const files: Array<{ filename: string; bytes: number }> = []
      for (let offset = 0; ; offset += BATCH) {
        const items = await media.list({ limit: BATCH, offset })
        for (const item of items) {
          if (item.variants.length === 0) files.push({ filename: item.filename, bytes: item.size })
          for (const variant of item.variants) files.push({ filename: variant.filename, bytes: variant.bytes })
        }
        if (items.length < BATCH) return files
      }
    },
  }
}
