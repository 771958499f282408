import { appError } from '../errors'

/** mf2 JSON: every property is an array of values (strings, {value, alt}, {html}, nested objects...). */
export type Mf2Properties = Record<string, unknown[]>

export type MicropubAction =
  | { action: 'create'; type: string; properties: Mf2Properties; commands: Mf2Properties }
  | { action: 'update'; url: string; replace: Mf2Properties; add: Mf2Properties; remove: { whole: string[]; values: Mf2Properties } }
  | { action: 'delete' | 'undelete'; url: string }

/** Keys that are request plumbing, not post properties. */
const RESERVED = new Set(['h', 'action', 'url', 'access_token', 'type'])

export function malformed(detail: string) {
  return appError('MICROPUB_MALFORMED', { vars: { detail } })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** An object of arrays, or a 400 naming what is wrong. */
function propertyMap(value: unknown, what: string): Mf2Properties {
  if (value === undefined) return {}
  if (!isPlainObject(value)) throw malformed(`${what} must be an object whose values are arrays.`)
  const result: Mf2Properties = {}
  for (const [key, entry] of Object.entries(value)) {
    if (!Array.isArray(entry)) throw malformed(`${what}.${key.slice(0, 64)} must be an array.`)
    result[key] = entry
  }
  return result
}

function singleString(value: unknown, name: string): string {
  const v: unknown = Array.isArray(value) && value.length === 1 ? value[0] : value
  if (typeof v !== 'string' || !v) throw malformed(`${name} must be a single non-empty string.`)
  return v
}

/** Form-encoded / multipart fields → arrays, `name[]` folded into `name`. */
export function foldFormFields(fields: Record<string, unknown>): Record<string, string[]> {
  const result: Record<string, string[]> = {}
  for (const [rawKey, value] of Object.entries(fields)) {
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey
    if (!key) continue
    const values = Array.isArray(value) ? value : [value]
    for (const v of values) if (typeof v === 'string') (result[key] ??= []).push(v)
  }
  return result
}

/** A form (or multipart) body → action. Forms can create, delete and undelete; updates need JSON. */
export function parseFormRequest(fields: Record<string, string[]>): MicropubAction {
  const action = fields.action ? singleString(fields.action, 'action') : 'create'
  if (action === 'delete' || action === 'undelete') return { action, url: singleString(fields.url, 'url') }
  if (action === 'update') throw malformed('updates must be sent as JSON (Content-Type: application/json).')
  if (action !== 'create') throw malformed(`the action "${action.slice(0, 32)}" is not supported.`)
  const type = fields.h ? singleString(fields.h, 'h') : 'entry'
  const properties: Mf2Properties = {}
  const commands: Mf2Properties = {}
  for (const [key, values] of Object.entries(fields)) {
    if (RESERVED.has(key) || key === 'photo[value]' || key === 'photo[alt]') continue
    if (key.startsWith('mp-')) commands[key] = values
    else properties[key] = values
  }
  // The form shape of a photo with alt text: photo[value]=URL&photo[alt]=text (one pair per photo).
  if (fields['photo[value]']) {
    const alts = fields['photo[alt]'] ?? []
    const described = fields['photo[value]'].map((value, i) => (alts[i] ? { value, alt: alts[i] } : value))
    properties.photo = [...(properties.photo ?? []), ...described]
  }
  return { action: 'create', type, properties, commands }
}

/** A JSON body → action. */
export function parseJsonRequest(body: unknown): MicropubAction {
  if (!isPlainObject(body)) throw malformed('the JSON body must be an object.')
  const action = body.action === undefined ? 'create' : body.action
  if (typeof action !== 'string') throw malformed('action must be a string.')
  if (action === 'create') {
    if (!Array.isArray(body.type) || body.type.length === 0 || typeof body.type[0] !== 'string') {
      throw malformed('a JSON create needs "type": ["h-entry"].')
    }
    const type = body.type[0].replace(/^h-/, '')
    const all = propertyMap(body.properties ?? {}, 'properties')
    const properties: Mf2Properties = {}
    const commands: Mf2Properties = {}
    for (const [key, values] of Object.entries(all)) {
      if (key.startsWith('mp-')) commands[key] = values
      else properties[key] = values
    }
    return { action: 'create', type, properties, commands }
  }
  const url = singleString(body.url, 'url')
  if (action === 'delete' || action === 'undelete') return { action, url }
  if (action !== 'update') throw malformed(`the action "${action.slice(0, 32)}" is not supported.`)
  const replace = propertyMap(body.replace, 'replace')
  const add = propertyMap(body.add, 'add')
  const remove: { whole: string[]; values: Mf2Properties } = { whole: [], values: {} }
  if (Array.isArray(body.delete)) {
    for (const key of body.delete) {
      if (typeof key !== 'string') throw malformed('delete must list property names, or map names to arrays of values.')
      remove.whole.push(key)
    }
  } else if (body.delete !== undefined) {
    remove.values = propertyMap(body.delete, 'delete')
  }
  if (!Object.keys(replace).length && !Object.keys(add).length && !remove.whole.length && !Object.keys(remove.values).length) {
    throw malformed('an update needs at least one of replace, add or delete.')
  }
  return { action: 'update', url, replace, add, remove }
}
