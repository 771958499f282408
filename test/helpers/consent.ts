import { Parser } from 'htmlparser2'

/** The hidden inputs of a form page (the IndieAuth consent form), as a browser would submit them. */
export function hiddenFields(html: string): URLSearchParams {
  const fields = new URLSearchParams()
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === 'input' && attrs.type === 'hidden' && attrs.name) fields.append(attrs.name, attrs.value ?? '')
    },
  })
  parser.write(html)
  parser.end()
  return fields
}
