// `npm run bench`: runs every bench/*.bench.ts module and prints each comparison as a ratio measured
// side by side in this one run. Not part of `npm test`.
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BenchModule, BenchRow } from './lib'

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)

function format(row: BenchRow): string {
  const ratio = row.higherIsBetter ? row.ours / row.baseline : row.baseline / row.ours
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3))
  return `| ${row.group} | ${row.name} | ${fmt(row.ours)} ${row.unit} | ${fmt(row.baseline)} ${row.unit} | ${ratio.toFixed(2)}× | ${row.note ?? ''} |`
}

async function main(): Promise<void> {
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !only || only.split(',').some((part) => f.includes(part)))
    .sort()
  console.log(`# npm run bench${quick ? ' --quick' : ''} — ${new Date().toISOString()}, node ${process.version}`)
  console.log('ratio > 1 means ours is better than the baseline (faster or more throughput)')
  console.log('| group | comparison | ours | baseline | ratio | note |')
  console.log('|---|---|---|---|---|---|')
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: BenchModule }
    try {
      await mod.default({ quick, report: (row) => console.log(format(row)) })
    } catch (err) {
      console.log(`| ${file} | FAILED: ${(err as Error).message.replace(/\s*\n\s*/g, ' / ')} | | | | |`)
      process.exitCode = 1
    }
  }
}

void main()
