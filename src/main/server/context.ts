import type { Config } from './config'
import type { Db } from './db'
import type { HealthService } from './health'
import type { Logger, Logging } from './logging'
import type { NotesService } from './notes'
import type { SearchService } from './search'
import type { ConsoleService } from './console'
import type { AuthService } from './auth'
import type { TokensService } from './tokens'
import type { MicropubService } from './micropub'
import type { MediaService } from './media'
import type { Outbound } from './outbound'
import type { MetricsService } from './metrics'
import type { RemoteMediaService } from './remote-media'
import type { ReplyContextsService } from './reply-contexts'
import type { WebmentionService } from './webmention'
import type { WebSubPublisher } from './discovery'
import type { SiteExportActions, SiteMirror } from './site-export'

/**
 * Everything a route module needs, wired once in createServer(). No module reaches for a global:
 * tests build a whole server on a temp data dir and get their own context.
 * Capabilities add their service here when they are wired in.
 */
export interface ServerContext {
  config: Config
  version: string
  startedAt: number
  logging: Logging
  logger: Logger
  db: Db
  health: HealthService
  notes: NotesService
  search: SearchService
  /** The admin console's calls and pushed events. */
  console: ConsoleService
  /** Admin sessions, guards and the one-time login link. */
  auth: AuthService
  /** Micropub tokens from all three sources: personal, built-in IndieAuth, external. */
  tokens: TokensService
  /** Micropub create/update/delete/queries over the notes service. */
  micropub: MicropubService
  /** Uploads through the image pipeline (cleaned, upright, resized), their variants and the old ones' reprocessing. */
  media: MediaService
  /** The one bounded fetch for every request to other sites (IndieAuth, external tokens, later Webmention). */
  outbound: Outbound
  /** Pictures from other sites (avatars, reply-context photos) fetched once and served as our own media. */
  remoteMedia: RemoteMediaService
  /** What the posts our responses point at say about themselves (fetched in the background). */
  replyContexts: ReplyContextsService
  /** Webmention both ways: the receiver (queue, moderation) and the sender (outbox). */
  webmention: WebmentionService
  /** WebSub: pings the configured hub after note changes (a no-op without STARPUNK_WEBSUB_HUB). */
  websub: WebSubPublisher
  /** Monitoring: request counters, the metrics.db history, the disk check and the sampling schedule. */
  metrics: MetricsService
  /** Static copies of the public site: "Export site" into the data dir or the mirror, and the mirror kept current. */
  siteExport: { actions: SiteExportActions; mirror: SiteMirror | null }
}
