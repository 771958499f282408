/** Figures the suite measured (rounds, requests, memory, p99), collected for docs/reliability.md. */
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { runDir } from './process'

export function recordFigure(scenario: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ scenario, at: new Date().toISOString(), ...figures }) + '\n'
  appendFileSync(join(runDir(), 'figures.jsonl'), line)
  // Also kept beside the repo (ignored by git unless copied into docs) so a run's numbers survive the temp dir.
  if (process.env.CHAOS_FIGURES_FILE) appendFileSync(process.env.CHAOS_FIGURES_FILE, line)
}

/** Bytes as MiB with one decimal, as the figures are written. */
export const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10
