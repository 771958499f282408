/**
 * The HEIC decoder thread, as plain CommonJS source run with `new Worker(source, { eval: true })` — the same
 * reason as the render thread (notes/render-worker-source.ts) and the database reader threads: a source
 * string runs unchanged under tsx, vitest and the bundled Electron main process. heic-decode (libheif
 * compiled to WebAssembly) decodes on the thread that calls it, so it gets a thread of its own; it is
 * loaded by absolute path (it stays in node_modules).
 *
 * The thread reads the file itself, so the main thread never holds the upload, and checks every image's
 * size from the file's header (`ispe`) against the pixel limit before decoding anything. libheif applies
 * the file's own rotation and mirroring (`irot`/`imir`) while decoding; EXIF Orientation inside a HEIF is
 * ignored, as the HEIF standard asks (phones write both, and applying both would turn the photo twice).
 * Pixels come back as RGBA, 8 bits, with no colour profile: the caller attaches the profile from the header.
 *
 * Protocol (main → worker): { id, path, maxPixels }
 * (worker → main): { type: 'ready' } | { type: 'failed', message } |
 *   { id, ok: true, width, height, data: ArrayBuffer (transferred) } |
 *   { id, ok: false, reason: 'too-large' | 'corrupt', width, height, message }
 */
export const HEIC_WORKER_SOURCE = String.raw`
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const { readFileSync } = require('node:fs')

// libheif-js reports its problems with console.log: keep the last one as the reason instead of printing it.
let lastMessage = ''
for (const name of ['log', 'info', 'warn', 'error', 'debug']) {
  console[name] = (...args) => { lastMessage = args.map(String).join(' ').slice(0, 300) }
}

function start(decode) {
  parentPort.on('message', async (msg) => {
    lastMessage = ''
    let images = null
    try {
      const buffer = readFileSync(msg.path)
      images = await decode.all({ buffer })
      if (!images.length) throw new Error('no image in the file')
      const first = images[0]
      if (first.width * first.height > msg.maxPixels || first.width <= 0 || first.height <= 0) {
        parentPort.postMessage({ id: msg.id, ok: false, reason: 'too-large', width: first.width, height: first.height, message: 'over the pixel limit' })
        return
      }
      const { width, height, data } = await first.decode()
      parentPort.postMessage({ id: msg.id, ok: true, width, height, data: data.buffer }, [data.buffer])
    } catch (err) {
      const message = lastMessage || (err && err.message) || String(err)
      parentPort.postMessage({ id: msg.id, ok: false, reason: 'corrupt', width: 0, height: 0, message })
    } finally {
      if (images && typeof images.dispose === 'function') {
        try { images.dispose() } catch (_) { /* already released */ }
      }
    }
  })
  parentPort.postMessage({ type: 'ready' })
}

try {
  start(require(workerData.heicDecodePath))
} catch (err) {
  parentPort.postMessage({ type: 'failed', message: (err && err.message) || String(err) })
}
`
