import type { ErrorInfo } from '../../../shared/contract'
import { ErrorDetails } from '../ErrorDetails'

/** Why a monitoring view has no (fresh) data: the catalog error, inside the panel. */
export function MonitoringError({ error }: { error: ErrorInfo | null }) {
  return error ? <ErrorDetails error={error} /> : null
}
