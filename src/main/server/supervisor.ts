import type { ServerStatus } from '../../shared/contract'
import type { ErrorInfo } from '../../shared/errors'
import { loadConfig, saveConfigFile, validateConfigValues, type LoadConfigOptions, type LoadedConfig } from './config'
import { createConsoleService, type ConsoleHost, type ConsoleService, type ConsoleServiceOptions } from './console'
import { createServer, type CreateServerOptions, type StarpunkServer } from './create-server'
import { AppError, errorInfo } from './errors'
import { VERSION } from './version'

// The layer above createServer: it loads the configuration, creates, starts, stops and restarts servers,
// and hosts the console that outlives them. The console itself knows only the ConsoleHost it is given.

type StatusListener = (status: ServerStatus) => void

/** Base options for re-validating edits: same environment and working directory as the running config. */
function baseFor(env: Record<string, string | undefined>, cwd: string | undefined): LoadConfigOptions {
  return { env, ...(cwd ? { cwd } : {}) }
}

export interface SupervisorOptions {
  /** Environment to load the configuration from (default process.env). */
  env?: Record<string, string | undefined>
  cwd?: string
  /** Values that win over env and file (tests; e.g. STARPUNK_PORT=0). */
  overrides?: Record<string, string>
  /**
   * With configuration problems: false (the CLI's rule) refuses to start and reports them; true (the
   * desktop app) starts with the defaults in place of every rejected value and lists the problems in the
   * console, so they can be fixed from there.
   */
  safeMode?: boolean
  server?: Omit<CreateServerOptions, 'console'>
  /** Told about every failed start, with the raw error (the desktop app logs it with its stack). */
  onStartError?: (err: unknown) => void
  console?: ConsoleServiceOptions
}

/** Owns loadConfig → createServer → listen, and stop/start/restart; also the console's host. */
export interface ServerSupervisor extends ConsoleHost {
  readonly console: ConsoleService
  /** The running server, or null. */
  readonly server: StarpunkServer | null
  /** Stop the server (if running) and the console's timers. */
  close(): Promise<void>
}

export function createSupervisor(options: SupervisorOptions = {}): ServerSupervisor {
  const env = options.env ?? process.env
  const loadOptions = (): LoadConfigOptions => ({ ...baseFor(env, options.cwd), ...(options.overrides ? { overrides: options.overrides } : {}) })
  const listeners = new Set<StatusListener>()
  let loaded: LoadedConfig = loadConfig({ ...loadOptions(), persist: false })
  let server: StarpunkServer | null = null
  let running: { server: StarpunkServer; url: string } | null = null
  let state: ServerStatus['state'] = 'stopped'
  let failure: ErrorInfo | undefined
  let stickyPort: number | null = null
  // Lifecycle actions run one at a time, in order: a restart pressed twice never runs two servers.
  let queue: Promise<unknown> = Promise.resolve()

  function status(): ServerStatus {
    const port = running?.server.consolePort ?? null
    const startedAt = port ? port.startedAt : null
    return {
      state,
      url: running?.url ?? null,
      version: VERSION,
      startedAt: startedAt ? new Date(startedAt).toISOString() : null,
      uptimeSeconds: startedAt ? Math.round((Date.now() - startedAt) / 1000) : 0,
      dataDir: loaded.config.dataDir,
      searchEngine: port ? port.searchEngine() : null,
      controllable: true,
      ...(failure ? { error: failure } : {}),
    }
  }

  function setState(next: ServerStatus['state'], error?: ErrorInfo): void {
    state = next
    failure = error
    const snapshot = status()
    for (const listener of listeners) listener(snapshot)
  }

  function enqueue(action: () => Promise<void>): Promise<ServerStatus> {
    const run = queue.then(action, action)
    queue = run.catch(() => undefined)
    return run.then(() => status())
  }

  async function doStart(): Promise<void> {
    if (running) return
    setState('starting')
    loaded = loadConfig(loadOptions())
    if (loaded.problems.length > 0 && !options.safeMode) {
      const count = loaded.problems.length
      setState(
        'failed',
        errorInfo('CONFIG_INVALID', {
          vars: { detail: `${count} setting${count === 1 ? ' is' : 's are'} invalid (see the Config panel).` },
        }),
      )
      return
    }
    let created: StarpunkServer | null = null
    // Port 0 means "any free port" the first time; a restart keeps the port so open consoles reconnect.
    const config = loaded.config.port === 0 && stickyPort !== null ? { ...loaded.config, port: stickyPort } : loaded.config
    try {
      created = await createServer(config, { ...options.server, console: consoleService })
      server = created
      const url = await created.listen()
      if (loaded.config.port === 0) stickyPort = Number(new URL(url).port)
      running = { server: created, url }
      setState('running')
    } catch (err) {
      server = null
      running = null
      if (created) await created.close().catch(() => undefined)
      // The person at this console runs the server: the first line of an unexpected cause helps them,
      // the stack would not (it goes to the app's log through onStartError).
      const info =
        err instanceof AppError
          ? err.info
          : errorInfo('INTERNAL_ERROR', {
              message: 'The blog server could not start because of an unexpected error.',
              details: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err),
            })
      options.onStartError?.(err)
      setState('failed', info)
    }
  }

  async function doStop(): Promise<void> {
    const current = server
    if (!current) {
      if (state !== 'failed') setState('stopped')
      return
    }
    running = null
    server = null
    await current.close()
    setState('stopped')
  }

  const supervisor: ServerSupervisor = {
    supervised: true,
    get console() {
      return consoleService
    },
    get server() {
      return server
    },
    status,
    running: () => running?.server.consolePort ?? null,
    loaded: () => loaded,
    validate: (values) => validateConfigValues(values, loadOptions()),
    async save(values) {
      const result = saveConfigFile(loaded.config.dataDir, values, baseFor(env, options.cwd))
      if (result.saved) {
        server?.recordEvent({ type: 'config_saved', message: 'Configuration saved from the console.' })
        // Re-read so the console shows what a restart will apply.
        const fresh = loadConfig({ ...loadOptions(), persist: false })
        loaded = { ...fresh, config: loaded.config }
      }
      return result
    },
    start: () => enqueue(doStart),
    stop: () => enqueue(doStop),
    restart: () =>
      enqueue(async () => {
        // In the history of the server being restarted (the next one reads the same metrics.db).
        server?.recordEvent({ type: 'server_restart', message: 'Restart requested from the console.' })
        await doStop()
        await doStart()
      }),
    onStatus(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async close() {
      await enqueue(doStop)
      consoleService.close()
    },
  }
  const consoleService = createConsoleService(supervisor, options.console)
  return supervisor
}
