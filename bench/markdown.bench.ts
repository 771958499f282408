// Notes at the size cap: saving each pathological shape (inputs that once took quadratic time in the
// title, slug or render code) through Micropub, against an ordinary note of the same size, on the same
// server in the same run (shapes interleaved with ordinary notes). Reports the worst shape's save time and
// the longest event-loop stall while it was saved (rendering runs in a worker thread, so that stall should
// stay near the ordinary note's).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createServer, loadConfig } from '../src/main/server'
import { ordinaryNote, pathologicalNotes } from '../src/main/server/notes/testing'
import { percentile, type BenchContext } from './lib'

interface Sample {
  ms: number
  /** Longest event-loop delay seen while the request ran, ms. */
  stallMs: number
}

export default async function markdownBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-markdown-'))
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'warn' } })
  const server = await createServer(config, { logging: { write: () => {} } })
  const url = await server.listen()
  const cap = config.maxNoteBytes
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  histogram.enable()
  try {
    const { token } = await server.context.tokens.createPersonal({ name: 'bench', scopes: ['create'], expiresAt: null })
    const save = async (content: string): Promise<Sample> => {
      histogram.reset()
      const started = performance.now()
      const res = await fetch(`${url}/micropub`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: ['h-entry'], properties: { content: [content] } }),
      })
      await res.arrayBuffer()
      if (res.status !== 201) throw new Error(`saving a note answered ${res.status}`)
      return { ms: performance.now() - started, stallMs: histogram.max / 1e6 }
    }
    const shapes = pathologicalNotes(cap)
    const ordinary = ordinaryNote(cap)
    const rounds = ctx.quick ? 2 : 5
    await save(ordinary) // warm up: the render thread starts, JIT
    const samples = new Map<string, Sample[]>([['ordinary', []], ...Object.keys(shapes).map((name): [string, Sample[]] => [name, []])])
    for (let r = 0; r < rounds; r++) {
      for (const [name, source] of Object.entries(shapes)) {
        samples.get(name)!.push(await save(source))
        samples.get('ordinary')!.push(await save(ordinary))
      }
    }
    const median = (name: string, key: keyof Sample) => percentile(samples.get(name)!.map((s) => s[key]), 50)
    const worst = Object.keys(shapes).reduce((a, b) => (median(a, 'ms') >= median(b, 'ms') ? a : b))
    const all = Object.keys(shapes)
      .map((name) => `${name} ${median(name, 'ms').toFixed(0)}`)
      .join(', ')
    ctx.report({
      group: 'Notes at the cap',
      name: `save a ${cap / 1024} KiB note via Micropub: worst shape (${worst}) vs an ordinary note`,
      ours: median(worst, 'ms'),
      baseline: median('ordinary', 'ms'),
      unit: 'ms',
      higherIsBetter: false,
      note: `median of ${rounds}, interleaved; every shape (ms): ${all}`,
    })
    ctx.report({
      group: 'Notes at the cap',
      name: `longest event-loop stall while saving: worst shape vs an ordinary note`,
      ours: median(worst, 'stallMs'),
      baseline: median('ordinary', 'stallMs'),
      unit: 'ms',
      higherIsBetter: false,
      note: 'monitorEventLoopDelay max per request (median over rounds); rendering runs in the render thread',
    })
  } finally {
    histogram.disable()
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
