import type { HealthReport } from '../../../shared/contract'
import type { ComponentCheck } from '../component-check'

export type { ComponentCheck, NamedCheck } from '../component-check'

export interface HealthService {
  /** Liveness: no I/O, no database. */
  liveness(): HealthReport
  /** Readiness: runs every registered component check. `detailed` adds checks, version and uptime. */
  readiness(detailed: boolean): Promise<HealthReport>
  /** Register a component check (only the wiring point does; capabilities return theirs). Returns the unregister function. */
  register(name: string, check: ComponentCheck, options?: { required?: boolean }): () => void
  /** The last readiness report computed (for the console), or null. */
  last(): HealthReport | null
  /** Called with the detailed report whenever the overall status changes (pass → fail, fail → pass...). */
  onChange(listener: (report: HealthReport) => void): () => void
}
