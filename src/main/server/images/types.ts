/** The image formats accepted on the way in, by what their bytes are (HEIC and HEIF are one kind). */
export type ImageKind = 'jpeg' | 'png' | 'gif' | 'webp' | 'avif' | 'heif'

/** What comes out: every kind keeps its format, except HEIC/HEIF, which becomes JPEG. */
export type OutputFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'avif'

export interface ProcessImageInput {
  /** The uploaded file (a temp file the caller owns; it is only read, never moved or deleted). */
  inputPath: string
  /** Where the variants go. The caller serves it (or not); temp files are written here too, then renamed. */
  outDir: string
  /**
   * Base of every output name: the largest variant is `<baseName>.<ext>`, smaller ones
   * `<baseName>-<width>.<ext>`. Letters, digits, `-` and `_` only (a UUID is the usual choice).
   */
  baseName: string
  /** The media type the client declared (Content-Type of the part); a different image type is refused. */
  declaredType?: string
  /** The file name the client gave; an extension of another image type (or of a page, script, archive...) is refused. */
  declaredName?: string
}

export interface ImageVariant {
  /** File name inside outDir. */
  fileName: string
  width: number
  height: number
  bytes: number
  /** Media type of the file (`image/jpeg`...). */
  type: string
}

export interface ProcessedImage {
  /** What the upload really was, from its bytes (`image/heic`, `image/jpeg`...). */
  sourceType: string
  /** Media type of every variant. */
  type: string
  /** File extension of every variant, without the dot. */
  ext: string
  /** Upright size of the upload (after EXIF rotation), before any resizing. */
  width: number
  height: number
  /** Frames kept (1 for a still image). */
  frames: number
  /** Narrowest first. The last one is `largest`. */
  variants: ImageVariant[]
  /** The variant to link to (`u-photo`, feeds): `<baseName>.<ext>`. */
  largest: ImageVariant
  /** How the colours were handled: the input's ICC profile carried over, converted to sRGB, or none to begin with. */
  colour: 'icc-kept' | 'converted-to-srgb' | 'srgb'
}

export interface ImageServiceStats {
  /** Images waiting for a slot. */
  queued: number
  /** Images being processed now. */
  active: number
  processed: number
  /** Refused as bad input (4xx). */
  refused: number
  /** Failed for a reason of ours (5xx). */
  failed: number
  /** HEIC decoder threads started so far (one lives while there is HEIC work, then stops). */
  heicThreadsStarted: number
}

export interface ImageService {
  /**
   * Check the upload and write its variants into outDir: type from the bytes, pixel limit before decoding,
   * EXIF rotation applied, all metadata dropped except the ICC profile, HEIC/HEIF → JPEG, animations kept.
   * Bad input throws a UserError (IMAGE_EMPTY, IMAGE_UNSUPPORTED, IMAGE_TYPE_MISMATCH, IMAGE_POLYGLOT,
   * IMAGE_TOO_LARGE, IMAGE_CORRUPT, IMAGE_TOO_COMPLEX); overload throws IMAGES_BUSY (503). On any failure
   * nothing of this call is left in outDir.
   */
  process(input: ProcessImageInput): Promise<ProcessedImage>
  /** Delete temp files that a crash left in `dir` (`.image-*.tmp`). Returns how many. */
  sweep(dir: string): Promise<number>
  stats(): ImageServiceStats
  /** Refuse new work, fail waiting work, stop the HEIC thread. Images in progress finish or fail. */
  close(): Promise<void>
}
