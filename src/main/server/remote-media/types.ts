/** A picture from another site, as our own media. */
export interface LocalImage {
  /** Absolute URL of our stored copy (`<site>/media/<uuid>.<ext>`): the only URL pages show. */
  url: string
  width: number | null
  height: number | null
}

export interface RemoteMediaStats {
  /** Fetches running now. */
  active: number
  /** Waiting for a fetch slot. */
  waiting: number
  stored: number
  failed: number
  /** Turned away because too many were already waiting (not remembered: asked again later, tried again). */
  shed: number
}

/**
 * Pictures from other sites (a mention author's avatar, a reply context's photo) fetched once through the
 * bounded outbound fetch, cleaned by the image pipeline (type from the bytes, metadata stripped) and stored
 * as our own media, so that readers' browsers never call a third-party host.
 */
export interface RemoteMediaService {
  /**
   * Our copy of the picture at `url`: fetched and stored the first time, the stored copy afterwards (several
   * callers asking at once share one fetch). null when it cannot be had: not http(s), a dead or slow host,
   * not an image, too large, a refused address, outbound requests turned off. A failure is remembered, so
   * a dead image is asked for again only after a while. Never throws for anything the remote side does:
   * callers show no picture (or a placeholder) and carry on.
   * A URL already on this site (our own media, our own author photo) is returned as it is.
   */
  localize(url: string): Promise<LocalImage | null>
  /**
   * What is already known, without fetching (for page rendering, which never waits on another site):
   * url → our copy, or null when it failed. URLs never tried are absent.
   */
  known(urls: readonly string[]): Promise<Map<string, LocalImage | null>>
  stats(): RemoteMediaStats
}
