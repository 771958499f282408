import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const DEPLOYMENT_DOC = join(__dirname, '..', '..', 'docs', 'deployment.md')

/**
 * The fenced block after `<!-- tested-config: NAME -->` in docs/deployment.md: the tests run the very text
 * readers copy, so the page cannot drift from what was tested.
 */
export function documentedConfig(name: string): string {
  const doc = readFileSync(DEPLOYMENT_DOC, 'utf8')
  const marker = `<!-- tested-config: ${name} -->`
  const at = doc.indexOf(marker)
  if (at < 0) throw new Error(`docs/deployment.md has no ${marker}`)
  const block = /^```[a-z]*\n([\s\S]*?)^```$/m.exec(doc.slice(at + marker.length))
  if (!block || block[1] === undefined) throw new Error(`docs/deployment.md has no fenced block after ${marker}`)
  return block[1]
}

/**
 * Put the test's addresses and paths in place of the documented ones. Each documented value must occur
 * exactly once: if the page changes them, the test says so instead of running something else.
 */
export function substitute(config: string, replacements: ReadonlyArray<readonly [documented: string, tested: string]>): string {
  let result = config
  for (const [documented, tested] of replacements) {
    const count = result.split(documented).length - 1
    if (count !== 1) throw new Error(`expected "${documented}" once in the documented configuration, found it ${count} times`)
    result = result.replace(documented, () => tested)
  }
  return result
}
