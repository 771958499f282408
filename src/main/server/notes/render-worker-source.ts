/**
 * The render thread, as plain CommonJS source run with `new Worker(source, { eval: true })` — the same
 * reason as the database reader thread (db/worker-source.ts): a source string runs unchanged under tsx,
 * vitest and the bundled Electron main process, where a separate worker file would need its own build step
 * and path resolution. It loads marked and sanitize-html by absolute path (both stay in node_modules).
 *
 * The allow-list is data from markdown.ts (`NOTE_ALLOW_LIST`, passed in workerData: structured clone keeps
 * its RegExps); the few rules that need a function live here:
 * - `<input>` survives only as a GFM task-list checkbox, always disabled;
 * - every `<img>` gets an alt (empty marks it decorative when none was given);
 * - a second pass gives links that kept a (safe) href rel="nofollow noopener" and strips links whose href
 *   the first pass removed (javascript:...), keeping their text.
 *
 * Protocol (main → worker): { id, op: 'markdown' | 'html', input }
 * (worker → main): { type: 'ready' } | { type: 'failed', message } | { id, ok: true, html, heapBytes } |
 *                  { id, ok: false, message, heapBytes } (heapBytes: the thread's V8 heap after the job)
 */
export const RENDER_WORKER_SOURCE = String.raw`
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const { getHeapStatistics } = require('node:v8')

function start(Marked, sanitizeHtml) {
  const markdown = new Marked({ gfm: true, breaks: false, async: false })
  const options = {
    ...workerData.allowList,
    exclusiveFilter: (frame) => frame.tag === 'input' && frame.attribs.type !== 'checkbox',
    transformTags: {
      img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, alt: attribs.alt ?? '' } }),
      input: (tagName, attribs) => ({ tagName, attribs: { ...attribs, disabled: '' } }),
    },
  }
  const linkRel = {
    ...options,
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: attribs.href ? { ...attribs, rel: 'nofollow noopener' } : {} }),
    },
  }
  const sanitize = (html) => sanitizeHtml(sanitizeHtml(html, options), linkRel)

  parentPort.on('message', (msg) => {
    try {
      const html = msg.op === 'markdown' ? sanitize(markdown.parse(msg.input, { async: false })) : sanitize(msg.input)
      parentPort.postMessage({ id: msg.id, ok: true, html, heapBytes: getHeapStatistics().total_heap_size })
    } catch (err) {
      parentPort.postMessage({ id: msg.id, ok: false, message: (err && err.message) || String(err), heapBytes: getHeapStatistics().total_heap_size })
    }
  })
  parentPort.postMessage({ type: 'ready' })
}

// marked is published as an ES module only: import() it; sanitize-html is CommonJS.
import(workerData.markedUrl).then(
  (marked) => start(marked.Marked, require(workerData.sanitizeHtmlPath)),
  (err) => parentPort.postMessage({ type: 'failed', message: (err && err.message) || String(err) }),
)
`
