/**
 * Real reverse proxies (Debian's nginx and Caddy) on loopback in front of a test server: the binaries, a
 * self-signed certificate made by openssl, free ports, start/stop with bounded waits, and a tiny HTTP(S)
 * client that can pick its source address (127.0.0.0/8 is all loopback on Linux, so a "client" at
 * 127.0.0.5 and the proxy at 127.0.0.1 are told apart by the server).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createServer as createNetServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The binary at `path`, or an error naming the Debian package to install: a missing proxy fails, never skips. */
export function requireBinary(path: string, debianPackage: string): string {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: the reverse-proxy tests need it. Install it with \`apt-get install -y ${debianPackage}\` (.ci/run does).`)
  }
  return path
}

/** A port free right now on 127.0.0.1 (for programs that cannot report the port they picked for `listen 0`). */
export async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no port from the kernel')
  return address.port
}

export interface Certificate {
  certPath: string
  keyPath: string
  pem: string
}

/** A self-signed certificate for 127.0.0.1 and localhost, made by the openssl CLI into `dir` (node:crypto reads X.509, it cannot issue it). */
export function makeSelfSignedCertificate(dir: string): Certificate {
  const openssl = requireBinary('/usr/bin/openssl', 'openssl')
  const certPath = join(dir, 'cert.pem')
  const keyPath = join(dir, 'key.pem')
  const made = spawnSync(
    openssl,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyPath, '-out', certPath],
    { encoding: 'utf8' },
  )
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`)
  return { certPath, keyPath, pem: readFileSync(certPath, 'utf8') }
}

export interface ProxyProcess {
  /** Everything the proxy printed (its errors, for a failing test's message). */
  output(): string
  stop(): Promise<void>
}

/**
 * Wait until the process says it is serving (`started`: a port taken by someone else also accepts
 * connections) and 127.0.0.1:port accepts them, or the process exits; bounded.
 */
async function waitForListening(port: number, child: ChildProcess, output: () => string, what: string, started: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}): ${output()}`)
    const open = started() && await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what} did not listen on port ${port} within 15 s: ${output()}`)
}

interface ProcessStart {
  command: string
  args: string[]
  port: number
  what: string
  /** Whether the process has bound its listeners, judged from its own output or files. */
  started: (output: string) => boolean
  env?: NodeJS.ProcessEnv
}

function startProcess({ command, args, port, what, started, env = process.env }: ProcessStart): Promise<ProxyProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
  let printed = ''
  const keep = (chunk: Buffer) => {
    printed = (printed + chunk.toString('utf8')).slice(-20_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const handle: ProxyProcess = {
    output: () => printed,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      // SIGTERM: nginx's fast shutdown, Caddy's graceful stop; SIGKILL if either hangs.
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(killer)
    },
  }
  return waitForListening(port, child, () => printed, what, () => started(printed)).then(
    () => handle,
    async (err: unknown) => {
      await handle.stop()
      throw err
    },
  )
}

/** A temp dir nginx's worker processes (another user when the tests run as root) can enter. */
export function proxyTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  chmodSync(dir, 0o755)
  return dir
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true })
}

/**
 * nginx in the foreground with everything under `dir`: the main context a test needs around the
 * deployment snippet (which belongs inside nginx's `http` block), pid, logs and temp files in `dir`.
 */
export function nginxMainConfig(dir: string, httpSnippet: string): string {
  return [
    'daemon off;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 128; }',
    'http {',
    `  access_log ${dir}/access.log;`,
    `  client_body_temp_path ${dir}/client_body;`,
    `  proxy_temp_path ${dir}/proxy_temp;`,
    `  fastcgi_temp_path ${dir}/fastcgi_temp;`,
    `  uwsgi_temp_path ${dir}/uwsgi_temp;`,
    `  scgi_temp_path ${dir}/scgi_temp;`,
    httpSnippet,
    '}',
    '',
  ].join('\n')
}

export function startNginx(dir: string, confPath: string, port: number): Promise<ProxyProcess> {
  const nginx = requireBinary('/usr/sbin/nginx', 'nginx')
  // -e: the error log before the configuration is read would otherwise be /var/log/nginx/error.log.
  const pidFile = join(dir, 'nginx.pid')
  // nginx writes its pid file once it has bound every listener (it retries a taken port, then exits).
  return startProcess({ command: nginx, args: ['-p', `${dir}/`, '-c', confPath, '-e', `${dir}/error.log`], port, what: 'nginx', started: () => existsSync(pidFile) })
}

/** Caddy in the foreground, its storage and HOME in `dir` (nothing under /root or ~/.local). */
export function startCaddy(dir: string, caddyfilePath: string, port: number): Promise<ProxyProcess> {
  const caddy = requireBinary('/usr/bin/caddy', 'caddy')
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') }
  return startProcess({
    command: caddy,
    args: ['run', '--config', caddyfilePath, '--adapter', 'caddyfile'],
    port,
    what: 'caddy',
    env,
    // Logged once the listeners are up; a port it cannot bind makes it exit instead.
    started: (output) => output.includes('serving initial configuration'),
  })
}

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  /** The body as UTF-8 text. */
  body: string
  /** The body's bytes as sent (compressed when Content-Encoding says so). */
  raw: Buffer
}

export interface RequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: string
  /** Source address of the connection (any 127.x.y.z). */
  localAddress?: string
  /** The certificate to trust for https URLs. */
  ca?: string
}

/** One request on a fresh connection, the whole body read; bounded at 15 s. */
export function send(url: string, options: RequestOptions = {}): Promise<Answer> {
  const target = new URL(url)
  const requestFn = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<Answer>((resolve, reject) => {
    const req = requestFn(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        timeout: 15_000,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        ...(target.protocol === 'https:' ? { ca: options.ca, servername: target.hostname === '127.0.0.1' ? '' : target.hostname } : {}),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const raw = Buffer.concat(chunks)
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw })
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${url} got no answer within 15 s`)))
    req.on('error', reject)
    req.end(options.body)
  })
}

/** The Set-Cookie line that sets `name`, or undefined. */
export function setCookieLine(answer: Answer, name: string): string | undefined {
  return (answer.headers['set-cookie'] ?? []).find((line) => line.startsWith(`${name}=`))
}

/**
 * Open a streaming GET and read until `done` holds for what arrived so far (then hang up), bounded at
 * 15 s: for event streams, which must reach the client while the response is still open.
 */
export function readStreamUntil(url: string, options: RequestOptions, done: (text: string) => boolean): Promise<{ headers: IncomingHttpHeaders; text: string }> {
  const target = new URL(url)
  const requestFn = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = requestFn(
      target,
      { method: 'GET', headers: options.headers ?? {}, agent: false, ...(target.protocol === 'https:' ? { ca: options.ca, servername: '' } : {}) },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
          if (done(text)) {
            clearTimeout(timer)
            resolve({ headers: res.headers, text })
            req.destroy()
          }
        })
        res.on('end', () => reject(new Error(`the stream ended before the awaited data arrived: ${text.slice(0, 500)}`)))
      },
    )
    const timer = setTimeout(() => req.destroy(new Error(`${url}: the awaited data did not arrive within 15 s`)), 15_000)
    req.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    req.end()
  })
}

/**
 * Run `start` again (up to three times in all) when the proxy could not bind the port freePort() found:
 * another test may take a free port in the moment before the proxy binds it.
 */
export async function retryWhenPortTaken<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start()
    } catch (err) {
      if (attempt >= 3 || !/address already in use/i.test(String(err))) throw err
    }
  }
}
