// Request helpers shared by the routers.
export { stringParam, wholeNumberParam, type WholeNumberOptions } from './query'
export { chooseCoding, compressBody, isCompressible, CODINGS, MIN_COMPRESS_BYTES, type ChosenCoding, type Coding, type CompressedBodies } from './content-coding'
