// Image pipeline: what processing one photo costs, against the least anyone could do with it.
//  - a 12-megapixel JPEG into every variant (type check, header check, EXIF rotation, metadata stripped,
//    five JPEGs written and flushed to disk) vs one bare sharp resize of the same file to 2048 px in memory
//  - peak memory while processing, each in a fresh process (peak RSS above the RSS before the work)
//  - the longest event-loop stall while processing (sharp works on libuv's pool, off the event loop)
//  - p99 of a cached page while ten uploads of that photo are processed at once vs no uploads, the page load
//    from wrk and the uploads from curl, both separate processes (a load generator inside the server's
//    process would share its event loop and measure itself)
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { createServer } from '../src/main/server'
import { createImageService } from '../src/main/server/images'
import { createLogging } from '../src/main/server/logging'
import { loadConfig } from '../src/main/server/config'
import { percentile, wrk, type BenchContext } from './lib'

const GROUP = 'Images'
const run = promisify(execFile)
const CURL = '/usr/bin/curl'

/** One upload with curl (its own process); resolves with the HTTP status. */
function curlUpload(url: string, token: string, photo: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(CURL, ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Authorization: Bearer ${token}`, '-F', `file=@${photo};type=image/jpeg`, url])
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('error', reject)
    child.on('close', () => resolvePromise(Number(out)))
  })
}

/**
 * A real server; p99 of its home page (a cached page) under wrk with no uploads, then with ten uploaders
 * each posting the 12 MP photo to the media endpoint again as soon as its last one answered.
 */
async function pageDuringUploads(ctx: BenchContext, dir: string, photo: string): Promise<void> {
  const siteDir = join(dir, 'site')
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: siteDir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'warn' } })
  if (problems.length) throw new Error(problems.map((p) => p.message).join('; '))
  const server = await createServer(config, { logging: { write: () => {} } })
  try {
    const base = await server.listen()
    for (let i = 1; i <= 5; i++) await server.context.notes.create({ content: `A note with some **Markdown**, number ${i}.`, published: true })
    const { token } = await server.context.tokens.createPersonal({ name: 'bench', scopes: ['media'], expiresAt: null })
    const page = `${base}/`
    for (let i = 0; i < 3; i++) await fetch(page).then((res) => res.arrayBuffer())
    const seconds = ctx.quick ? 5 : 15
    const quiet = await wrk(page, seconds)

    let stop = false
    const statuses: number[] = []
    const uploader = async () => {
      while (!stop) statuses.push(await curlUpload(`${base}/micropub/media`, token, photo))
    }
    const uploaders = Array.from({ length: 10 }, uploader)
    // Let the first uploads arrive and queue before measuring.
    await new Promise((r) => setTimeout(r, 1500))
    const before = statuses.length
    const busy = await wrk(page, seconds)
    const during = statuses.length - before
    stop = true
    await Promise.all(uploaders)
    const refused = statuses.filter((s) => s !== 201)
    ctx.report({
      group: GROUP,
      name: 'p99 of a cached page (/, wrk -c10) during ten parallel 12 MP uploads vs no uploads',
      ours: busy.p99,
      baseline: quiet.p99,
      unit: 'ms',
      higherIsBetter: false,
      note:
        `${seconds} s each; p50 ${busy.p50.toFixed(2)} vs ${quiet.p50.toFixed(2)} ms; ${busy.requests} vs ${quiet.requests} requests; ` +
        `${during} uploads finished while measured (${statuses.length} in all, ${refused.length} not 201${refused.length ? `: ${[...new Set(refused)].join(',')}` : ''}); ` +
        `each stored upload changes the db version, so the page is rendered again once after each; wrk and curl are separate processes`,
    })
  } finally {
    await server.close()
  }
}

/** A photo-like 12 MP JPEG: smooth noise (it compresses like a real photo, unlike raw noise). */
async function twelveMegapixelPhoto(path: string): Promise<void> {
  const texture = await sharp({ create: { width: 1000, height: 750, channels: 3, background: '#7a8a6a', noise: { type: 'gaussian', mean: 120, sigma: 50 } } })
    .blur(1.2)
    .png()
    .toBuffer()
  await sharp(texture).resize(4000, 3000, { kernel: 'cubic' }).jpeg({ quality: 90 }).toFile(path)
}

/** Runs in a fresh process, so one measurement's freed memory does not hide the other's. */
const MEMORY_CHILD = String.raw`
const [mode, photo, outDir, service] = process.argv.slice(-4)
const sharp = (await import('sharp')).default
const { createImageService } = await import(service)
const { createLogging } = await import(service.replace(/images[\\/]index\.ts$/, 'logging/index.ts'))
const { loadConfig } = await import(service.replace(/images[\\/]index\.ts$/, 'config/index.ts'))
const { config } = loadConfig({ env: { STARPUNK_PORT: '0' } })
const images = createImageService({ logger: createLogging(config, { write: () => {} }).logger })
global.gc?.()
const before = process.memoryUsage().rss
let peak = before
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 2)
if (mode === 'ours') await images.process({ inputPath: photo, outDir, baseName: 'memory' })
else await sharp(photo).resize({ width: 2048 }).jpeg().toBuffer()
clearInterval(timer)
peak = Math.max(peak, process.resourceUsage().maxRSS * 1024)
await images.close()
console.log(JSON.stringify({ peakMb: (peak - before) / 1048576 }))
`

export default async function imagesBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-images-'))
  const photo = join(dir, 'photo.jpg')
  await twelveMegapixelPhoto(photo)
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0' } })
  const images = createImageService({ logger: createLogging(config, { write: () => {} }).logger, maxPixels: config.media.maxImagePixels })
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  try {
    let round = 0
    const ours = async () => {
      const outDir = join(dir, `out-${round++}`)
      mkdirSync(outDir)
      return images.process({ inputPath: photo, outDir, baseName: 'photo' })
    }
    const bare = () => sharp(photo).resize({ width: 2048 }).jpeg().toBuffer()
    const timed = async (fn: () => Promise<unknown>) => {
      histogram.reset()
      histogram.enable()
      const started = performance.now()
      await fn()
      const ms = performance.now() - started
      histogram.disable()
      return { ms, stallMs: histogram.max / 1e6 }
    }
    const result = await ours() // warm up both (JIT, libvips start-up)
    await bare()
    const rounds = ctx.quick ? 2 : 7
    const samples = { ours: [] as { ms: number; stallMs: number }[], bare: [] as { ms: number; stallMs: number }[] }
    for (let r = 0; r < rounds; r++) {
      samples.ours.push(await timed(ours))
      samples.bare.push(await timed(bare))
    }
    const median = (which: 'ours' | 'bare', key: 'ms' | 'stallMs') => percentile(samples[which].map((s) => s[key]), 50)
    const widths = result.variants.map((v) => v.width).join('/')
    const kib = Math.round(result.variants.reduce((sum, v) => sum + v.bytes, 0) / 1024)
    ctx.report({
      group: GROUP,
      name: `12 MP JPEG → all variants (${widths}) vs one bare sharp resize to 2048`,
      ours: median('ours', 'ms'),
      baseline: median('bare', 'ms'),
      unit: 'ms',
      higherIsBetter: false,
      note: `median of ${rounds}, interleaved; ours includes type/header checks and writing + fsync of ${result.variants.length} files (${kib} KiB in all)`,
    })
    ctx.report({
      group: GROUP,
      name: 'longest event-loop stall while processing: all variants vs bare resize',
      ours: median('ours', 'stallMs'),
      baseline: median('bare', 'stallMs'),
      unit: 'ms',
      higherIsBetter: false,
      note: 'monitorEventLoopDelay max per image (median over rounds)',
    })

    const service = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main', 'server', 'images', 'index.ts')
    const memory = async (mode: 'ours' | 'bare') => {
      const outDir = join(dir, `memory-${mode}`)
      mkdirSync(outDir, { recursive: true })
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', MEMORY_CHILD, mode, photo, outDir, service], { cwd: resolve(service, '..', '..', '..', '..', '..') })
      return (JSON.parse(stdout.trim().split('\n').pop()!) as { peakMb: number }).peakMb
    }
    const peakOurs = await memory('ours')
    const peakBare = await memory('bare')
    ctx.report({
      group: GROUP,
      name: 'peak memory while processing a 12 MP JPEG: all variants vs bare resize',
      ours: peakOurs,
      baseline: peakBare,
      unit: 'MB',
      higherIsBetter: false,
      note: 'each in a fresh process: peak RSS above the RSS before the work',
    })

    await pageDuringUploads(ctx, dir, photo)
  } finally {
    histogram.disable()
    await images.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
