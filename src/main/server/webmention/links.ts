import { Parser } from 'htmlparser2'
import { normalizeUrl } from './parse'
import { RELATION_PROPERTIES } from './types'


function urlsIn(value: unknown, depth = 0): string[] {
  if (typeof value === 'string') return [value]
  if (depth > 2 || typeof value !== 'object' || value === null) return []
  // An embedded h-cite ({type, properties: {url: [...]}}) or a {value} object.
  const record = value as { properties?: Record<string, unknown>; value?: unknown }
  const urls = Array.isArray(record.properties?.url) ? record.properties.url.flatMap((url) => urlsIn(url, depth + 1)) : []
  return urls.length > 0 ? urls : typeof record.value === 'string' ? [record.value] : []
}

/**
 * Every URL a note links to, for sending: `<a href>` in its rendered HTML (resolved against its permalink)
 * and the relation properties (in-reply-to, like-of, repost-of, bookmark-of), http(s) only, without
 * fragments, each once, in order of appearance (properties first: they are what the post is about).
 */
export function noteLinks(html: string, properties: Record<string, unknown[] | undefined>, permalink: string): string[] {
  const found: string[] = []
  const add = (href: string) => {
    const url = normalizeUrl(href, permalink)
    if (url && url !== normalizeUrl(permalink) && !found.includes(url)) found.push(url)
  }
  for (const property of RELATION_PROPERTIES) for (const value of properties[property] ?? []) for (const url of urlsIn(value)) add(url)
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'a' && attributes.href !== undefined) add(attributes.href)
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  )
  parser.write(html)
  parser.end()
  return found
}
