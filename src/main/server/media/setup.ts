import { join } from 'node:path'
import type { Config } from '../config'
import type { Db } from '../db'
import { createImageService } from '../images'
import type { Logger } from '../logging'
import { createMediaService } from './service'
import type { MediaService } from './types'

/**
 * The media capability with its image pipeline, as the server and the command-line tools both open it
 * (so `npm run reprocess-media` cleans old uploads exactly as the server does). Originals, when kept, go to
 * <dataDir>/originals: outside the media directory, so no route can ever serve them.
 */
export function openMedia(deps: { config: Config; db: Db; logger: Logger; siteBase: () => string }): MediaService {
  const { config } = deps
  const images = createImageService({ logger: deps.logger.child({ component: 'images' }), maxPixels: config.media.maxImagePixels })
  return createMediaService({
    db: deps.db,
    mediaDir: config.mediaDir,
    logger: deps.logger.child({ component: 'media' }),
    siteBase: deps.siteBase,
    images,
    originalsDir: config.media.keepOriginals ? join(config.dataDir, 'originals') : null,
  })
}
