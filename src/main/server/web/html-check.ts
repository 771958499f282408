// Test support: validate a page with html-validate's recommended rules.
import { HtmlValidate, StaticConfigLoader } from 'html-validate'

/**
 * Rules switched off, and why:
 * - `no-trailing-whitespace`: React's static markup keeps the newlines marked emits inside note bodies.
 * - `attribute-boolean-style` / `attribute-empty-style`: React writes `required=""`; both forms are valid HTML.
 * - `doctype-style`: React output is prefixed with lower-case `<!doctype html>`, which is valid HTML.
 * - `void-style`: React's static markup writes void elements as `<meta/>`; the trailing slash is allowed
 *   (and ignored) on void elements by the HTML standard.
 * - `attr-case`: React writes a few attributes camel-cased (`charSet`, `minLength`); HTML attribute names
 *   are case-insensitive, so these are valid.
 * - `no-inline-style` stays on (CSP forbids inline styles anyway).
 */
const validator = new HtmlValidate(
  new StaticConfigLoader({
    extends: ['html-validate:recommended'],
    rules: {
      'no-trailing-whitespace': 'off',
      'attribute-boolean-style': 'off',
      'attribute-empty-style': 'off',
      'doctype-style': 'off',
      'void-style': 'off',
      'attr-case': 'off',
    },
  }),
)

export async function validateHtml(html: string): Promise<string[]> {
  const report = await validator.validateString(html)
  return report.results.flatMap((result) => result.messages.map((m) => `${m.ruleId} (${m.line}:${m.column}): ${m.message}`))
}
