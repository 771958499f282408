export type { MediaService, StoredMedia } from './types'
export { createMediaService, IMAGE_TYPES, MEDIA_NAME } from './service'
export { receiveMultipart, type MultipartBody, type ReceivedFile } from './multipart'
export { mediaRoutes } from './routes'
