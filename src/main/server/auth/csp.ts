import type { Response } from 'express'

/** The CSP source that lets a form end up at `target`: its origin, or its scheme for a private-use one (`com.example.app:`). */
export function formActionSource(target: URL): string {
  return target.protocol === 'http:' || target.protocol === 'https:' ? target.origin : target.protocol
}

/**
 * helmet's `form-action 'self'` also governs where a form submission may be redirected, and browsers check
 * those redirects against the policy of the page that holds the form (a CSP on the redirect response itself
 * changes nothing). So a page whose form ends at another site allows exactly that one target besides us.
 */
export function allowFormActionTo(res: Response, target: URL): void {
  const policy = res.getHeader('Content-Security-Policy')
  if (typeof policy !== 'string') return
  const source = formActionSource(target)
  const directives = policy.split(';').map((d) => d.trim()).filter(Boolean)
  const index = directives.findIndex((d) => d.split(/\s+/, 1)[0] === 'form-action')
  if (index < 0) directives.push(`form-action 'self' ${source}`)
  else if (!directives[index]!.split(/\s+/).includes(source)) directives[index] += ` ${source}`
  res.setHeader('Content-Security-Policy', directives.join(';'))
}
