import type { Response } from 'express'
import type { Config } from '../config'

/**
 * WebSub discovery in the `Link` header (W3C WebSub §4: a header or the document's own links): the hub and
 * this topic's own URL, appended so other capabilities' Link values stay. Nothing without a hub.
 */
export function addWebSubLinks(res: Response, config: Config, self: string): void {
  if (!config.websubHub) return
  const value = `<${config.websubHub}>; rel="hub", <${self}>; rel="self"`
  const existing = res.getHeader('Link')
  res.setHeader('Link', existing ? `${String(existing)}, ${value}` : value)
}
