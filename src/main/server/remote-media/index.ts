/**
 * Pictures from other sites, fetched once through the bounded outbound fetch, cleaned by the image
 * pipeline and served from our own media. Readers' browsers never call a third-party host, and a dead
 * remote picture only means no picture.
 */
export { createRemoteMedia, type RemoteMediaDeps } from './service'
export type { LocalImage, RemoteMediaService, RemoteMediaStats } from './types'
