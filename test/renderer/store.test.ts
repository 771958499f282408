// The console's store (zustand), in plain Node: the renderer module has no DOM in it.
import { describe, expect, it } from 'vitest'
import type { LifecycleAccepted, LogEntry, ServerStatus, Snapshot } from '../../src/shared/contract'
import { LOG_CAPACITY, appendLogs, createConsoleStore, mergeSnapshotLogs } from '../../src/renderer/src/store'

const TIME = '2026-12-01T08:00:00.000Z'
function lines(boot: string, from: number, to: number, time = TIME): LogEntry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, boot, time, level: 'INFO' as const, msg: `${boot}-${from + i}` }))
}

function status(state: ServerStatus['state'], startedAt: string | null): ServerStatus {
  return { state, url: state === 'running' ? 'http://127.0.0.1:1' : null, version: '0', startedAt, uptimeSeconds: 0, dataDir: '/d', searchEngine: null }
}

function snapshot(logs: LogEntry[], s: ServerStatus = status('running', TIME)): Snapshot {
  return { status: s, pool: null, health: null, config: { fields: [], problems: [], filePath: '/d/config.json' }, logs }
}

describe('console store: log lines', () => {
  it('keeps the newest LOG_CAPACITY lines; the oldest fall off', () => {
    let logs: LogEntry[] = []
    for (let batch = 0; batch < 12; batch++) logs = appendLogs(logs, lines('a', batch * 1000 + 1, batch * 1000 + 1000))
    expect(logs.length).toBe(LOG_CAPACITY)
    expect(logs[0]!.seq).toBe(12_000 - LOG_CAPACITY + 1)
    expect(logs.at(-1)!.seq).toBe(12_000)
  })

  it("keeps a restarted server's lines even when their number and time match the old server's", () => {
    const store = createConsoleStore()
    store.getState().addLogs(lines('old', 1, 3), 0)
    // Same seq, same millisecond, another start of the server.
    store.getState().applySnapshot(snapshot(lines('new', 1, 3)))
    expect(store.getState().logs.map((e) => e.msg)).toEqual(['old-1', 'old-2', 'old-3', 'new-1', 'new-2', 'new-3'])
  })

  it('holds each line once when a snapshot and pushed batches overlap, in order', () => {
    const store = createConsoleStore()
    store.getState().addLogs(lines('a', 5, 8), 0)
    store.getState().applySnapshot(snapshot(lines('a', 1, 7)))
    store.getState().addLogs(lines('a', 7, 10), 0)
    expect(store.getState().logs.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it('returns the same array when a batch brings nothing new (no re-render)', () => {
    const held = lines('a', 1, 5)
    expect(appendLogs(held, lines('a', 3, 5))).toBe(held)
    expect(mergeSnapshotLogs(held, lines('a', 1, 5))).toBe(held)
  })

  it('counts lines the server skipped', () => {
    const store = createConsoleStore()
    store.getState().addLogs(lines('a', 1, 2), 5)
    store.getState().addLogs([], 3)
    expect(store.getState().logsDropped).toBe(8)
  })
})

describe('console store: start, stop and restart', () => {
  const before = '2026-12-01T07:00:00.000Z'
  const after = '2026-12-01T07:00:05.000Z'
  const accepted = (action: LifecycleAccepted['accepted'], s: ServerStatus): LifecycleAccepted => ({ accepted: action, status: s })

  it('keeps a restart pending through stopped and starting, until a newer server runs', () => {
    const store = createConsoleStore()
    store.getState().setStatus(status('running', before))
    store.getState().setPending(accepted('restart', status('running', before)))
    for (const next of [status('running', before), status('stopped', null), status('starting', null)]) {
      store.getState().setStatus(next)
      expect(store.getState().pending?.accepted, next.state).toBe('restart')
    }
    store.getState().applySnapshot(snapshot([], status('running', after)))
    expect(store.getState().pending).toBeNull()
  })

  it('ends a stop at stopped, and any action at failed', () => {
    const store = createConsoleStore()
    store.getState().setStatus(status('running', before))
    store.getState().setPending(accepted('stop', status('running', before)))
    store.getState().setStatus(status('stopped', null))
    expect(store.getState().pending).toBeNull()
    store.getState().setPending(accepted('start', status('stopped', null)))
    expect(store.getState().pending?.accepted).toBe('start')
    store.getState().setStatus({ ...status('failed', null), error: { code: 'PORT_IN_USE', message: 'm', suggestion: 's', troubleshooting: [] } })
    expect(store.getState().pending).toBeNull()
  })

  it('is not left pending when the outcome arrived before the answer', () => {
    const store = createConsoleStore()
    store.getState().setStatus(status('running', after))
    store.getState().setPending(accepted('restart', status('running', before)))
    expect(store.getState().pending).toBeNull()
  })
})

describe('console store: health', () => {
  it('marks the checks whose status changed, with the previous status', () => {
    const store = createConsoleStore()
    const report = (fs: 'pass' | 'fail') => ({ status: fs, checks: { 'filesystem:writable': [{ status: fs, time: TIME }], 'db:query': [{ status: 'pass' as const, time: TIME }] } })
    store.getState().setHealth(report('pass'))
    expect(store.getState().healthChanges).toEqual({})
    store.getState().setHealth(report('fail'))
    expect(store.getState().healthChanges).toEqual({ 'filesystem:writable': 'pass' })
  })

  it('makes independent stores (no shared module state)', () => {
    const one = createConsoleStore()
    const two = createConsoleStore()
    one.getState().setPanel('logs')
    expect(two.getState().panel).toBe('overview')
  })
})
