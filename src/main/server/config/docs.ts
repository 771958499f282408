/**
 * The settings' documentation, rendered from the settings table: the README's configuration table and the
 * reference table in docs/configuration.md. `npm run docs:settings` writes them between their markers;
 * docs.test.ts fails when either file differs from what the table renders, so nobody edits them by hand.
 */
import { allSettings, type SettingSpec } from './settings'

export interface GeneratedBlock {
  /** Repository-relative path of the file that holds the block. */
  file: string
  begin: string
  end: string
  render(): string
}

const NOTICE = 'generated from src/main/server/config/settings.ts by `npm run docs:settings`; do not edit by hand'

/** A table cell: no line breaks, and a pipe does not end the cell. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|')
}

function code(text: string): string {
  return `\`${text}\``
}

/** A default in code type (so `<data dir>` is not taken for HTML), except "(not set)". */
function defaultCell(text: string): string {
  return cell(text === '(not set)' ? text : code(text))
}

function flags(setting: SettingSpec): string[] {
  const out: string[] = []
  if (setting.secret) out.push('*Secret: masked everywhere.*')
  if (setting.envOnly) out.push(`*Environment only: ${setting.envOnlyReason ?? 'only the environment may set it'}.*`)
  if (setting.testHook) out.push('*Test hook, not for normal use.*')
  return out
}

export function renderReadmeTable(): string {
  const rows = allSettings().map((s) => `| ${code(s.name)} | ${defaultCell(s.defaultText)} | ${cell([s.description, ...flags(s)].join(' '))} |`)
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n')
}

export function renderConfigurationReference(): string {
  const rows = allSettings().map((s) => {
    const where = s.envOnly ? 'environment' : 'environment, config.json, console'
    const notes = [...flags(s), s.suggestion].join(' ')
    return `| ${code(s.name)} | ${defaultCell(s.defaultText)} | ${code(`config.${s.path}`)} | ${where} | ${cell(notes)} |`
  })
  return ['| Setting | Default | Fills | Can be set in | Advice |', '|---|---|---|---|---|', ...rows].join('\n')
}

export const GENERATED_BLOCKS: readonly GeneratedBlock[] = [
  { file: 'README.md', begin: `<!-- settings-table:begin (${NOTICE}) -->`, end: '<!-- settings-table:end -->', render: renderReadmeTable },
  {
    file: 'docs/configuration.md',
    begin: `<!-- settings-reference:begin (${NOTICE}) -->`,
    end: '<!-- settings-reference:end -->',
    render: renderConfigurationReference,
  },
]

/** The file's text with the block's content replaced; null when its markers are missing or out of order. */
export function withBlock(text: string, block: GeneratedBlock): string | null {
  const start = text.indexOf(block.begin)
  const stop = text.indexOf(block.end)
  if (start < 0 || stop < start) return null
  return `${text.slice(0, start + block.begin.length)}\n${block.render()}\n${text.slice(stop)}`
}
