import type { ComponentCheck } from '../component-check'
import type { Logging } from './logging'

/**
 * The `logs` readiness component: whether log lines reach the log file. Register it as optional: a blog
 * that cannot write its log file still serves readers, so it reports `warn` at the top level, not `fail`.
 * Running it retries a failed file at once, so readiness tells the state of the disk now. The output names
 * the errno code only, never the path (readiness can answer over HTTP).
 */
export function logFileCheck(logging: Pick<Logging, 'recheckFile'>): ComponentCheck {
  return () => {
    const time = new Date().toISOString()
    const state = logging.recheckFile()
    if (!state.enabled) {
      return { 'logs:file': [{ componentType: 'system', observedValue: false, status: 'pass', time, output: 'file logging off' }] }
    }
    if (state.ok) return { 'logs:file': [{ componentType: 'system', observedValue: true, status: 'pass', time }] }
    return {
      'logs:file': [
        {
          componentType: 'system',
          observedValue: false,
          status: 'fail',
          time,
          output:
            `The log directory is not writable (${state.code ?? 'ERROR'}) since ${state.since ?? 'start'}: log lines reach the console only. ` +
            'Make the log directory (STARPUNK_LOG_DIR, default <data dir>/logs) a writable directory; file logging resumes by itself.',
        },
      ],
    }
  }
}
