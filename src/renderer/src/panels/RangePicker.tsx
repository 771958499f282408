import { useConsole } from '../api'
import { RANGE_OPTIONS } from '../monitoring'

/** The range the monitoring views show: a group of toggle buttons (Tab to reach, Enter/Space to pick). */
export function RangePicker() {
  const range = useConsole((s) => s.range)
  const setRange = useConsole((s) => s.setRange)
  return (
    <div className="range-picker" role="group" aria-label="Time range">
      {RANGE_OPTIONS.map((option) => (
        <button key={option.id} type="button" aria-pressed={range === option.id} onClick={() => setRange(option.id)}>
          {option.label}
        </button>
      ))}
    </div>
  )
}
