import { join } from 'node:path'
import type { Config } from '../config'
import type { Db } from '../db'
import type { Logger } from '../logging'
import { createMediaLibrary, type MediaLibrary } from '../media'
import type { NotesService } from '../notes'
import { createAuthorProfile, type AuthorProfile } from './profile'

export interface AdminParts {
  profile: AuthorProfile
  library: MediaLibrary
  /**
   * What cached pages and feeds derive from: the notes and the author profile. Its version moves when
   * either changes, so saving the profile refreshes every cached page and feed (and their ETags) at once.
   */
  pages: { readonly version: number }
}

/** The admin's own services, made once in createServer (the page caches need `pages` before the routes). */
export function createAdminParts(deps: { config: Config; db: Db; notes: NotesService; logger: Logger; siteBase: () => string; env?: NodeJS.ProcessEnv }): AdminParts {
  const { config, notes } = deps
  const profile = createAuthorProfile({ config, ...(deps.env ? { env: deps.env } : {}) })
  const library = createMediaLibrary({
    db: deps.db,
    mediaDir: config.mediaDir,
    logger: deps.logger.child({ component: 'media-library' }),
    siteBase: deps.siteBase,
    originalsDir: join(config.dataDir, 'originals'),
  })
  return {
    profile,
    library,
    pages: {
      // Both counters only grow, so their sum changes whenever either does.
      get version() {
        return notes.version + profile.version
      },
    },
  }
}
