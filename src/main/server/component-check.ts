// The shape every readiness component has. Its own module, importing only the shared contract, so that
// capabilities (logging, media, notes, search...) can describe their checks without importing the health
// service, and the health service can import them without a cycle.
import type { HealthCheck } from '../../shared/contract'

/** A component check: returns one or more measurements keyed `component:measurement`. */
export type ComponentCheck = () => Promise<Record<string, HealthCheck[]>> | Record<string, HealthCheck[]>

/**
 * One readiness component a capability contributes. A capability returns these; the wiring point hands
 * them to the health service. `required: false`: a failure degrades readiness to warn instead of fail
 * (readers are still served).
 */
export interface NamedCheck {
  name: string
  check: ComponentCheck
  required: boolean
}
