/**
 * The image pipeline: every uploaded picture goes through here before anything is stored or served.
 * Type from the bytes, a pixel limit before decoding, EXIF rotation applied, every piece of metadata dropped
 * except the ICC profile, HEIC/HEIF to JPEG (decoded in a worker thread), animations kept, variants at
 * a few widths written atomically. It knows nothing of HTTP, the database or where media are served from.
 */
export { createImageService, planWidths, variantFileName, VARIANT_WIDTHS, MAX_EDGE, DEFAULT_MAX_PIXELS, IMAGE_TEMP_FILE, type ImageServiceOptions } from './service'
export { ACCEPTED_IMAGE_TYPES, detectImage, type DetectedImage } from './detect'
export { loadSharp, type Sharp } from './sharp-loader'
export type { ImageKind, ImageService, ImageServiceStats, ImageVariant, OutputFormat, ProcessImageInput, ProcessedImage } from './types'
export { APPLE_TOUCH_SIZE, DEFAULT_ICON_SVG, encodeIco, ICO_SIZES, makeIconSet, PNG_ICON_SIZES, type IconImage, type IconSet } from './icons'
