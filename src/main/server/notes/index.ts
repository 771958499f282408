export { createNotesService, MAX_CONTENT_LENGTH, normalizeDate, type NotesServiceDeps, type NotesServiceImpl, type NoteRecord } from './service'
export { slugify, chooseSlug, RESERVED_SLUGS, MAX_SLUG_LENGTH } from './slug'
export { extractTitle, plainTextStart, textSummary } from './markdown'
export { createNoteRenderer, renderCheck, type NoteRenderer, type RendererStats } from './renderer'
export { normalizeTags, tagKey } from './tags'
export type * from './types'
export { exportNotes, importNotes, parseNoteFile, serializeNote, type ExportResult, type ImportResult, type ImportProblem } from './portable'
export { changeKey, changeKeyThisTurn } from './change-key'
export { parseRfc3339, parseDateOrDateTime } from './dates'
export {
  POST_TYPES,
  RESPONSE_PROPERTIES,
  responseTargets,
  type ResponseProperty,
  POST_TYPE_NAMES,
  isHttpUrl,
  TARGET_PROPERTY,
  RSVP_VALUES,
  LOCATION_PROPERTIES,
  LOCATION_VISIBILITY_PROPERTY,
  discoverPostType,
  firstUrl,
  hasLocation,
  isPostType,
  isResponseType,
  locationChoice,
  locationIsPublic,
  mayBeEmpty,
  rsvpValue,
  targetOf,
  type LocationChoice,
  type PostType,
  type ResponseType,
} from './post-type'
