/**
 * What the console (desktop IPC or the browser console) may write to config.json, beyond the rules every
 * value obeys: settings only the environment may set are refused field by field, and a new listen address
 * that other machines can reach is saved only after the person confirmed it, told what it exposes.
 */
import type { ErrorInfo } from '../../../shared/errors'
import { errorInfo } from '../errors/app-error'
import { isLoopback } from './parsers'
import { SETTINGS, isSettingName } from './settings'

export interface ConsoleEditContext {
  /** What config.json holds now (setting name → value), to tell a change from a value sent back as it was. */
  fileValues: Record<string, string>
  /** The person confirmed the change of listen address (the `confirm` flag of config:save). */
  confirmed: boolean
}

/** A change the console must not save before the person has said yes to it. */
export interface ConsoleConfirmation {
  setting: 'STARPUNK_HOST'
  /** The listen address in the file now (empty: none there, the default 127.0.0.1). */
  from: string
  to: string
  /** What the change exposes, in a sentence or two a person can decide on. */
  explanation: string
}

export interface ConsoleEditCheck {
  /** The values with every refused setting taken out: what the ordinary validation should see. */
  allowed: Record<string, string>
  /** One problem per refused setting; each message begins with the setting's name. */
  problems: ErrorInfo[]
  /** Set when a confirmation is needed and was not given: nothing may be saved then. Not a problem of the values. */
  confirmation: ConsoleConfirmation | null
}

function exposure(host: string): string {
  const everywhere = host === '0.0.0.0' || host === '::'
  return (
    `Listening on ${host} lets ${everywhere ? 'every network this computer is on' : 'other machines that can reach that address'} ` +
    '(and the internet, if a router forwards the port) open the blog, its admin sign-in page and its Micropub endpoint, ' +
    'over plain HTTP. Do this only behind a TLS reverse proxy or on a network you trust; 127.0.0.1 keeps the blog on this computer.'
  )
}

/** The console's rules for edited values; pure, so both transports and their tests share exactly one. */
export function checkConsoleEdits(values: Record<string, string>, context: ConsoleEditContext): ConsoleEditCheck {
  const allowed: Record<string, string> = {}
  const problems: ErrorInfo[] = []
  for (const [name, value] of Object.entries(values)) {
    const setting = isSettingName(name) ? SETTINGS[name] : null
    // An empty value means "remove it from the file": always allowed.
    if (setting?.envOnly && value.trim() !== '') {
      problems.push(
        errorInfo('CONFIG_INVALID', {
          message: `${name} cannot be set from the console: ${setting.envOnlyReason ?? 'only the environment may set it'}.`,
          suggestion: `Set ${name} as an environment variable where StarPunk is started, and clear it here.`,
        }),
      )
      continue
    }
    allowed[name] = value
  }

  let confirmation: ConsoleConfirmation | null = null
  const raw = allowed.STARPUNK_HOST
  if (raw !== undefined && raw.trim() !== '') {
    const parsed = SETTINGS.STARPUNK_HOST.parse(raw)
    const before = context.fileValues.STARPUNK_HOST ?? ''
    const previous = before.trim() === '' ? null : SETTINGS.STARPUNK_HOST.parse(before)
    const unchanged = parsed.ok && previous?.ok === true && previous.value === parsed.value
    // An invalid value is left to the ordinary validation; a loopback address exposes nothing.
    if (parsed.ok && !unchanged && !isLoopback(parsed.value) && !context.confirmed) {
      confirmation = { setting: 'STARPUNK_HOST', from: before, to: parsed.value, explanation: exposure(parsed.value) }
    }
  }
  return { allowed, problems, confirmation }
}
