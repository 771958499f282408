import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { outsideAsar } from '../db'
import { once } from '../lazy'
import type { Logger } from '../logging'
import { LINK_ATTRIBUTES, type HtmlParse, type ParsedHtml } from './parse'

/**
 * The source parse thread, as plain CommonJS source run with `new Worker(source, { eval: true })` (the same
 * reason as the notes render thread: it runs unchanged under tsx, vitest and the bundled app). It loads
 * microformats-parser and htmlparser2 by absolute path. The link scan mirrors parse.ts `htmlLinksTo`
 * (LINK_ATTRIBUTES comes in workerData); a test checks both give the same answers.
 *
 * Protocol (main → worker): { id, html, pageUrl, target } ; (worker → main): { type: 'ready' } |
 * { id, ok: true, doc, linked } | { id, ok: false, message }
 */
const PARSE_WORKER_SOURCE = String.raw`
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const { mf2 } = require(workerData.mf2Path)
const { Parser } = require(workerData.htmlparser2Path)
const LINK_ATTRIBUTES = workerData.linkAttributes

function normalizeUrl(value, base) {
  let url
  try { url = new URL(value, base) } catch { return null }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  url.hash = ''
  return url.href
}

function linksTo(html, pageUrl, target) {
  const wanted = normalizeUrl(target)
  if (!wanted) return false
  let found = false
  const parser = new Parser({
    onopentag(name, attributes) {
      if (found) return
      for (const attribute of LINK_ATTRIBUTES[name] || []) {
        const value = attributes[attribute]
        if (value !== undefined && normalizeUrl(value, pageUrl) === wanted) found = true
      }
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true })
  parser.write(html)
  parser.end()
  return found
}

parentPort.on('message', (msg) => {
  try {
    const doc = mf2(msg.html, { baseUrl: msg.pageUrl })
    parentPort.postMessage({ id: msg.id, ok: true, doc, linked: linksTo(msg.html, msg.pageUrl, msg.target) })
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, message: (err && err.message) || String(err) })
  }
})
parentPort.postMessage({ type: 'ready' })
`

export interface SourceParser {
  /** mf2 and the link scan of one source page, off the event loop. Rejects on a timeout (the thread is replaced). */
  parse: HtmlParse
  close(): Promise<void>
}

type WorkerMessage = { type: 'ready' } | { id: number; ok: true; doc: ParsedHtml['doc']; linked: boolean } | { id: number; ok: false; message: string }

interface Job {
  id: number
  html: string
  pageUrl: string
  target: string
  resolve: (parsed: ParsedHtml) => void
  reject: (err: Error) => void
}

/**
 * One thread parses source pages, one at a time (verification is one source at a time anyway): a hostile
 * 1 MiB page costs seconds of parse5 work, which must not stall page serving. Started on first use; a job
 * running past `timeoutMs` stops the thread and fails.
 */
export function createSourceParser({ logger, timeoutMs = 15_000 }: { logger: Logger; timeoutMs?: number }): SourceParser {
  const require = createRequire(import.meta.url)
  const resolve = (name: string) => outsideAsar(require.resolve(name), existsSync)
  // Resolved when the thread first starts, not at start-up (see lazy/).
  const workerData = once(() => ({ mf2Path: resolve('microformats-parser'), htmlparser2Path: resolve('htmlparser2'), linkAttributes: LINK_ATTRIBUTES }))
  const queue: Job[] = []
  let worker: Worker | null = null
  let current: Job | null = null
  let timer: NodeJS.Timeout | null = null
  let nextId = 1
  let closed = false

  function spawn(): Worker {
    const thread = new Worker(PARSE_WORKER_SOURCE, { eval: true, workerData: workerData(), stdin: false })
    thread.on('message', (msg: WorkerMessage) => {
      if ('type' in msg || !current || current.id !== msg.id) return
      const job = current
      finish()
      if (msg.ok) job.resolve({ doc: msg.doc, linked: msg.linked })
      else job.reject(new Error(`parsing the source failed: ${msg.message}`))
    })
    thread.on('error', (err) => logger.error('webmention parse thread failed', { err }))
    thread.on('exit', (code) => {
      if (worker !== thread) return
      worker = null
      if (current) {
        const job = current
        finish()
        job.reject(new Error(`parse thread exited with code ${code}`))
      }
    })
    return thread
  }

  function finish(): void {
    if (timer) clearTimeout(timer)
    timer = null
    current = null
    worker?.unref()
    queueMicrotask(pump)
  }

  function pump(): void {
    if (current || closed || queue.length === 0) return
    const job = queue.shift()
    if (!job) return
    current = job
    worker ??= spawn()
    worker.ref()
    timer = setTimeout(() => {
      if (current !== job) return
      logger.warn('parsing a webmention source took too long; stopped it', { chars: job.html.length, timeoutMs })
      const stuck = worker
      worker = null
      void stuck?.terminate()
      finish()
      job.reject(new Error('parsing the source took too long'))
    }, timeoutMs)
    worker.postMessage({ id: job.id, html: job.html, pageUrl: job.pageUrl, target: job.target })
  }

  return {
    parse: (html, pageUrl, target) =>
      closed
        ? Promise.reject(new Error('source parser closed'))
        : new Promise<ParsedHtml>((resolve, reject) => {
            queue.push({ id: nextId++, html, pageUrl, target, resolve, reject })
            pump()
          }),
    async close() {
      closed = true
      for (const job of queue.splice(0)) job.reject(new Error('source parser closed'))
      const thread = worker
      if (thread) await thread.terminate()
    },
  }
}
