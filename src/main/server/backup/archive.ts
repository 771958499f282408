/**
 * Writing and restoring one backup archive (a gzip'd tar, see docs/architecture.md "Backup and restore").
 * Databases are copied with SQLite's online backup API in a worker thread (sqlite-worker.ts), so a running
 * server keeps serving and writing; everything is staged, hashed into manifest.json, archived into a temp file (mode 0600 from its creation)
 * and only then given its final name. Restoring checks every entry before anything is extracted, extracts
 * into a temp folder next to the target, checks the hashes and the databases, and renames it into place.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, type Stats } from 'node:fs'
import { chmod, copyFile, link, lstat, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { AppError, appError } from '../errors'
import { checkDatabaseFile } from './sqlite-worker'
import { errnoCode } from '../errors/errno'
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, MANIFEST, MEDIA_DIR, METRICS_DB, NOTES_DB, ORIGINALS_DIR, STORED_FILE_NAME, entryProblem, layoutPaths, type DataLayout } from './layout'

/** node-tar is loaded with the first backup or restore, not at start-up (ES module: a dynamic import). */
const loadTar = (): Promise<typeof import('tar')> => import('tar')

export interface ManifestFile {
  path: string
  size: number
  sha256: string
}

export interface Manifest {
  format: typeof ARCHIVE_FORMAT
  version: number
  createdAt: string
  appVersion: string
  /**
   * 'file': session-secret is in the archive. 'environment': there was no such file, so the secret is
   * STARPUNK_SESSION_SECRET (the loader writes the file otherwise) and is deliberately not copied.
   */
  sessionSecret: 'file' | 'environment'
  files: ManifestFile[]
}

export interface CreateBackupOptions {
  layout: DataLayout
  /** The archive to write; refused when something already exists there. */
  file: string
  appVersion: string
  now?: () => Date
}

export interface BackupResult {
  file: string
  bytes: number
  createdAt: string
  /** Files in the archive, manifest included. */
  files: number
}

/** Write one backup archive of a data directory. Never leaves a partial file under `file`. */
export async function createBackup(options: CreateBackupOptions): Promise<BackupResult> {
  const { layout } = options
  const paths = layoutPaths(layout)
  const file = resolve(options.file)
  const createdAt = (options.now ?? (() => new Date()))().toISOString()
  if (await exists(file)) throw appError('BACKUP_FILE_EXISTS', { details: `File: ${file}` })
  if (!(await exists(layout.databasePath))) throw appError('BACKUP_FAILED', { vars: { reason: 'there is no database in the data directory yet' }, details: `Data directory: ${layout.dataDir}` })

  let staging: string | null = null
  let temp: string | null = null
  try {
    await mkdir(dirname(file), { recursive: true })
    // In the data dir, so media can be hard-linked (instant, no second copy on disk); 0700 from mkdtemp.
    await mkdir(paths.backupsDir, { recursive: true, mode: 0o700 })
    staging = await mkdtemp(join(paths.backupsDir, '.staging-'))

    // The databases first: every media row they hold was written after its files (media service), so
    // each file a copied row names exists when the media folder is copied next.
    await snapshotDatabase(layout.databasePath, join(staging, NOTES_DB), layout.nativeBinding)
    if (await exists(paths.metricsDb)) await snapshotDatabase(paths.metricsDb, join(staging, METRICS_DB), layout.nativeBinding)
    const hasSecret = await copyIfPresent(paths.secretFile, join(staging, basename(paths.secretFile)))
    await copyIfPresent(paths.configFile, join(staging, basename(paths.configFile)))
    await stageFolder(layout.mediaDir, join(staging, MEDIA_DIR))
    await stageFolder(paths.originalsDir, join(staging, ORIGINALS_DIR))

    const entries = await stagedFiles(staging)
    const manifest: Manifest = {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      createdAt,
      appVersion: options.appVersion,
      sessionSecret: hasSecret ? 'file' : 'environment',
      files: await Promise.all(entries.map(async (path) => ({ path, ...(await digest(join(staging as string, path))) }))),
    }
    await writeFile(join(staging, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 })

    temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
    const top = [MANIFEST, ...new Set(entries.map((p) => p.split('/')[0] as string))]
    // 'wx' with mode 0600: created private (never widened later), and never over an existing file.
    // Node's own gzip (on libuv's thread pool) rather than node-tar's, which compresses on this thread: a
    // serving event loop would stall for each chunk. Chunks of 1 MiB bound each step of the pipeline.
    await pipeline((await loadTar()).create({ cwd: staging, portable: true, maxReadSize: 1 << 20 }, top), createGzip(), createWriteStream(temp, { flags: 'wx', mode: 0o600 }))
    await syncFile(temp)
    // link() refuses an existing name, so a file that appeared meanwhile is never overwritten either.
    try {
      await link(temp, file)
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') throw appError('BACKUP_FILE_EXISTS', { details: `File: ${file}` })
      throw err
    }
    await syncDir(dirname(file))
    const bytes = (await stat(file)).size
    return { file, bytes, createdAt, files: entries.length + 1 }
  } catch (err) {
    if (err instanceof AppError) throw err
    throw appError('BACKUP_FAILED', { vars: { reason: reasonOf(err) }, details: `Backup file: ${file}`, cause: err })
  } finally {
    if (temp) await unlink(temp).catch(() => undefined)
    if (staging) await rm(staging, { recursive: true, force: true }).catch(() => undefined)
  }
}

/** SQLite's online backup API into `dest`, checked, then made one self-contained file (no WAL), in a worker thread. */
async function snapshotDatabase(source: string, dest: string, nativeBinding: string | null): Promise<void> {
  const checked = await checkDatabaseFile(dest, { nativeBinding, makeSelfContained: true, copyFrom: source })
  if (!checked.ok) throw appError('BACKUP_FAILED', { vars: { reason: `${basename(source)} could not be copied (SQLite reported ${checked.code})` } })
  const problem = integrityProblem(checked.messages)
  if (problem) throw appError('BACKUP_FAILED', { vars: { reason: `the copy of ${basename(source)} failed its integrity check (${problem})` } })
}

/** null when `PRAGMA integrity_check` said ok, else its first complaint. */
function integrityProblem(messages: string[]): string | null {
  const first = messages[0] ?? 'no answer'
  return messages.length === 1 && first === 'ok' ? null : first.slice(0, 200)
}

async function copyIfPresent(from: string, to: string): Promise<boolean> {
  try {
    await copyFile(from, to)
    await chmod(to, 0o600)
    return true
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false
    throw err
  }
}

/** The folder's plain files, hard-linked (or copied across file systems). A missing folder is skipped. */
async function stageFolder(from: string, to: string): Promise<void> {
  let names: string[]
  try {
    names = await readdir(from)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return
    throw err
  }
  await mkdir(to, { mode: 0o700 })
  for (const name of names.sort()) {
    if (!STORED_FILE_NAME.test(name)) continue
    const source = join(from, name)
    const info = await lstat(source).catch(() => null)
    // Deleted since the listing (an unused upload removed from the library), or not a plain file.
    if (!info?.isFile()) continue
    try {
      await link(source, join(to, name))
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue
      await copyFile(source, join(to, name)).catch((copyErr: unknown) => {
        if (errnoCode(copyErr) !== 'ENOENT') throw copyErr
      })
    }
  }
}

/** Every file under the staging folder (the manifest aside), as archive paths, sorted. */
async function stagedFiles(staging: string): Promise<string[]> {
  const files: string[] = []
  for (const name of (await readdir(staging)).sort()) {
    if (name === MANIFEST) continue
    if ((await lstat(join(staging, name))).isDirectory()) {
      for (const inner of (await readdir(join(staging, name))).sort()) files.push(`${name}/${inner}`)
    } else files.push(name)
  }
  return files
}

async function digest(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer
    size += bytes.length
    hash.update(bytes)
  }
  return { size, sha256: hash.digest('hex') }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  )
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the new name durable; some file systems (and Windows) refuse to open a directory: best effort.
  const handle = await open(dir, 'r').catch(() => null)
  if (!handle) return
  await handle.sync().catch(() => undefined)
  await handle.close()
}

function reasonOf(err: unknown): string {
  const code = errnoCode(err)
  if (code === 'ENOSPC') return 'the disk is full'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'EROFS') return 'the file system is read-only'
  if (code === 'SQLITE_BUSY') return 'the database stayed locked'
  if (code?.startsWith('SQLITE_')) return `SQLite reported ${code}`
  return code ? `the system reported ${code}` : 'an unexpected error (see the log)'
}

// --- restore ----------------------------------------------------------------------------------------

export interface RestoreOptions {
  file: string
  /** A new or empty directory; a non-empty one only with `replace`. */
  dataDir: string
  /** Move a non-empty target aside (to `<target>.before-restore-<time>`) instead of refusing. */
  replace?: boolean
  nativeBinding?: string | null
  now?: () => Date
}

export interface RestoreResult {
  dataDir: string
  createdAt: string
  appVersion: string
  files: number
  sessionSecret: Manifest['sessionSecret']
  /** Where the target's earlier contents went (with `replace`), else null. */
  movedAside: string | null
}

/** Restore an archive into a data directory: all of it, checked, or nothing. */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const file = resolve(options.file)
  const target = resolve(options.dataDir)
  const info = await stat(file).catch(() => null)
  if (!info?.isFile()) throw appError('BACKUP_NOT_FOUND', { details: `File: ${file}` })
  await checkGzip(file)
  const listed = await listArchive(file)
  await checkTarget(target, options.replace === true)

  let staging: string | null = null
  try {
    await mkdir(dirname(target), { recursive: true })
    staging = await mkdtemp(join(dirname(target), `.${basename(target)}.restore-`))
    await extractInto(file, staging)
    const manifest = await readManifest(staging)
    await verifyFiles(staging, manifest, listed)
    await checkDatabase(join(staging, NOTES_DB), options.nativeBinding ?? null, true)
    if (manifest.files.some((f) => f.path === METRICS_DB)) await checkDatabase(join(staging, METRICS_DB), options.nativeBinding ?? null, false)
    await rm(join(staging, MANIFEST))
    await tighten(staging)
    const movedAside = await place(staging, target, options.replace === true, (options.now ?? (() => new Date()))())
    staging = null
    await syncDir(dirname(target))
    return { dataDir: target, createdAt: manifest.createdAt, appVersion: manifest.appVersion, files: manifest.files.length, sessionSecret: manifest.sessionSecret, movedAside }
  } catch (err) {
    if (err instanceof AppError) throw err
    throw appError('BACKUP_CORRUPT', { vars: { reason: reasonOf(err) }, cause: err })
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true }).catch(() => undefined)
  }
}

async function checkGzip(file: string): Promise<void> {
  const handle = await open(file, 'r').catch((err: unknown) => {
    throw appError('BACKUP_NOT_FOUND', { details: `File: ${file}`, cause: err })
  })
  try {
    const head = Buffer.alloc(2)
    const { bytesRead } = await handle.read(head, 0, 2, 0)
    if (bytesRead < 2 || head[0] !== 0x1f || head[1] !== 0x8b) throw appError('BACKUP_NOT_AN_ARCHIVE', { details: `File: ${file}` })
  } finally {
    await handle.close()
  }
}

/** Every entry checked before anything is written: the first refused one stops the restore. */
async function listArchive(file: string): Promise<Set<string>> {
  const files = new Set<string>()
  let refused: string | null = null
  try {
    await (await loadTar()).list({
      file,
      strict: true,
      onReadEntry: (entry) => {
        const problem = entryProblem(entry.path, entry.type)
        if (problem) refused ??= problem
        else if (entry.type !== 'Directory') {
          if (files.has(entry.path)) refused ??= `"${entry.path}" appears twice`
          files.add(entry.path)
        }
        entry.resume()
      },
    })
  } catch (err) {
    throw archiveError(err, file)
  }
  if (refused) throw appError('BACKUP_UNSAFE_ENTRY', { vars: { reason: refused } })
  if (!files.has(MANIFEST)) throw appError('BACKUP_NOT_AN_ARCHIVE', { message: 'This file is not a StarPunk backup: it has no manifest.json.', details: `File: ${file}` })
  return files
}

function archiveError(err: unknown, file: string): AppError {
  if (err instanceof AppError) return err
  const code = errnoCode(err)
  if (code === 'TAR_BAD_ARCHIVE') return appError('BACKUP_NOT_AN_ARCHIVE', { details: `File: ${file}`, cause: err })
  // zlib's Z_DATA_ERROR / Z_BUF_ERROR, or tar's TAR_ABORTED for a file cut short.
  return appError('BACKUP_CORRUPT', { vars: { reason: 'the archive is cut short or its compressed data is damaged' }, details: `File: ${file}`, cause: err })
}

async function checkTarget(target: string, replace: boolean): Promise<void> {
  let names: string[]
  try {
    names = await readdir(target)
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'ENOENT') return
    if (code === 'ENOTDIR') throw appError('RESTORE_TARGET_NOT_EMPTY', { message: 'The target is a file, not a directory.', suggestion: 'Name a new or empty directory to restore into.', details: `Target: ${target}` })
    throw appError('DATA_DIR_NOT_WRITABLE', { details: `Target: ${target}`, cause: err })
  }
  if (names.length > 0 && !replace) throw appError('RESTORE_TARGET_NOT_EMPTY', { details: `Target: ${target}` })
}

async function extractInto(file: string, staging: string): Promise<void> {
  try {
    await (await loadTar()).extract({
      file,
      cwd: staging,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      // Checked again as written: listing and extracting read the file twice.
      filter: (path, entry) => entryProblem(path, 'type' in entry ? entry.type : 'Unknown') === null,
    })
  } catch (err) {
    throw archiveError(err, file)
  }
}

async function readManifest(staging: string): Promise<Manifest> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(join(staging, MANIFEST), 'utf8'))
  } catch (err) {
    throw appError('BACKUP_CORRUPT', { vars: { reason: 'manifest.json cannot be read' }, cause: err })
  }
  // Untrusted until checked: every field is read as unknown.
  const m = parsed as { [K in keyof Manifest]?: unknown } | null
  if (!m || m.format !== ARCHIVE_FORMAT || !Array.isArray(m.files)) throw appError('BACKUP_NOT_AN_ARCHIVE', { message: 'This file is not a StarPunk backup: its manifest.json is not one.' })
  if (typeof m.version !== 'number' || m.version > ARCHIVE_VERSION)
    throw appError('BACKUP_NOT_AN_ARCHIVE', { message: `This backup was made by a newer StarPunk (format ${String(m.version)}).`, suggestion: 'Restore it with the version that made it, or a newer one.' })
  const listed = m.files as unknown[]
  const files = listed.filter((f): f is ManifestFile => {
    const file = f as { [K in keyof ManifestFile]?: unknown } | null
    return typeof file?.path === 'string' && typeof file.size === 'number' && typeof file.sha256 === 'string'
  })
  if (files.length !== listed.length) throw appError('BACKUP_CORRUPT', { vars: { reason: 'manifest.json lists a file without its size or hash' } })
  return { format: ARCHIVE_FORMAT, version: m.version, createdAt: typeof m.createdAt === 'string' ? m.createdAt : '', appVersion: typeof m.appVersion === 'string' ? m.appVersion : '', sessionSecret: m.sessionSecret === 'file' ? 'file' : 'environment', files }
}

/** Exactly the manifest's files, each with its size and SHA-256: anything cut, changed or added is refused. */
async function verifyFiles(staging: string, manifest: Manifest, listed: Set<string>): Promise<void> {
  const expected = new Set(manifest.files.map((f) => f.path))
  for (const path of listed) {
    if (path !== MANIFEST && !expected.has(path)) throw appError('BACKUP_UNSAFE_ENTRY', { vars: { reason: `"${path}" is not listed in manifest.json` } })
  }
  if (!expected.has(NOTES_DB)) throw appError('BACKUP_CORRUPT', { vars: { reason: 'it holds no notes database' } })
  for (const entry of manifest.files) {
    if (entryProblem(entry.path, 'File') !== null || entry.path === MANIFEST) throw appError('BACKUP_UNSAFE_ENTRY', { vars: { reason: `manifest.json names "${entry.path}"` } })
    const path = join(staging, entry.path)
    const found: Stats | null = await lstat(path).catch(() => null)
    if (!found?.isFile()) throw appError('BACKUP_CORRUPT', { vars: { reason: `${entry.path} is missing` } })
    const actual = await digest(path)
    if (actual.size !== entry.size || actual.sha256 !== entry.sha256) throw appError('BACKUP_CORRUPT', { vars: { reason: `${entry.path} does not match its checksum` } })
  }
}

async function checkDatabase(path: string, nativeBinding: string | null, notes: boolean): Promise<void> {
  const name = basename(path)
  const checked = await checkDatabaseFile(path, { nativeBinding, makeSelfContained: false })
  if (!checked.ok) throw appError('BACKUP_CORRUPT', { vars: { reason: `${name} cannot be opened as a database (${checked.code})` } })
  const problem = integrityProblem(checked.messages)
  if (problem) throw appError('BACKUP_CORRUPT', { vars: { reason: `${name} failed its integrity check (${problem})` } })
  if (notes && !checked.hasMigrations) throw appError('BACKUP_CORRUPT', { vars: { reason: `${name} is not a StarPunk database` } })
}

/** Files 0600, folders 0700: the data dir holds the session secret and unpublished drafts. */
async function tighten(dir: string): Promise<void> {
  await chmod(dir, 0o700)
  for (const name of await readdir(dir)) {
    const path = join(dir, name)
    if ((await lstat(path)).isDirectory()) await tighten(path)
    else await chmod(path, 0o600)
  }
}

/** Rename the checked folder into place; with `replace`, the target's contents are moved aside first. */
async function place(staging: string, target: string, replace: boolean, now: Date): Promise<string | null> {
  const names = await readdir(target).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return null
    throw err
  })
  let movedAside: string | null = null
  if (names && names.length > 0) {
    if (!replace) throw appError('RESTORE_TARGET_NOT_EMPTY', { details: `Target: ${target}` })
    movedAside = `${target}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`
    await rename(target, movedAside)
  }
  try {
    // rename(2) replaces an empty directory in one step; anything written there meanwhile makes it fail.
    await rename(staging, target)
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw appError('RESTORE_TARGET_NOT_EMPTY', { details: `Target: ${target}` })
    throw err
  }
  return movedAside
}

