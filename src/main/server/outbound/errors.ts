import { SystemError } from '../errors'
import type { OutboundFailure } from './types'

const CODE_FOR: Record<OutboundFailure, 'OUTBOUND_DISABLED' | 'OUTBOUND_REFUSED' | 'OUTBOUND_FAILED'> = {
  disabled: 'OUTBOUND_DISABLED',
  'bad-url': 'OUTBOUND_REFUSED',
  scheme: 'OUTBOUND_REFUSED',
  'private-address': 'OUTBOUND_REFUSED',
  'own-origin': 'OUTBOUND_REFUSED',
  'bad-redirect': 'OUTBOUND_REFUSED',
  'unknown-host': 'OUTBOUND_FAILED',
  unreachable: 'OUTBOUND_FAILED',
  timeout: 'OUTBOUND_FAILED',
  'too-large': 'OUTBOUND_FAILED',
  'too-many-redirects': 'OUTBOUND_FAILED',
  'not-json': 'OUTBOUND_FAILED',
}

/**
 * An outbound request that was refused or failed. `reason` is for code; `detail` is one person-readable
 * sentence (no headers, no bodies, no query strings) that callers may put into their own error.
 */
export class OutboundError extends SystemError {
  constructor(
    readonly reason: OutboundFailure,
    readonly detail: string,
    cause?: unknown,
  ) {
    super(CODE_FOR[reason], { vars: { detail }, cause })
  }
}

export function isOutboundError(err: unknown): err is OutboundError {
  return err instanceof OutboundError
}
