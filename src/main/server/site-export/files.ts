import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'

/** The exporter's record of what it wrote, so a re-run removes only its own files, never anyone else's. */
export const MANIFEST_NAME = '.starpunk-export.json'

interface Manifest {
  version: 1
  files: string[]
}

/**
 * The file that holds a URL path on a static host without rewrites: a page (`/`, `/notes/x`, `/tags/node.js`)
 * is the folder's index.html, a file (`/feed.rss`, `/media/a.jpg`) is itself. Percent-encoding is decoded
 * (hosts look files up by the decoded name). null when a segment could escape the folder or is not a file
 * name (`..`, `.`, empty, NUL, a backslash).
 */
export function fileForPath(path: string, kind: 'page' | 'file'): string | null {
  let decoded: string
  try {
    decoded = decodeURIComponent(path.split('?', 1)[0]!)
  } catch {
    return null
  }
  const segments = decoded.split('/').slice(1)
  if (kind === 'page') {
    if (segments.at(-1) === '') segments.pop()
    segments.push('index.html')
  }
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || /[\0\\]/.test(segment)) return null
  }
  return segments.join('/')
}

/** Absolute path of a relative file inside dir; throws when it would land outside (never expected). */
export function inside(dir: string, relative: string): string {
  const root = resolve(dir)
  const full = resolve(root, relative)
  if (!full.startsWith(root + sep)) throw new Error('export path outside its folder')
  return full
}

/** Bytes already at path equal `body`? (A missing file is not.) */
export async function sameBytes(path: string, body: Buffer): Promise<boolean> {
  try {
    const info = await stat(path)
    if (!info.isFile() || info.size !== body.length) return false
    return (await readFile(path)).equals(body)
  } catch {
    return false
  }
}

export async function sameSize(path: string, size: number): Promise<boolean> {
  try {
    const info = await stat(path)
    return info.isFile() && info.size === size
  } catch {
    return false
  }
}

/** Temp file next to the target, then rename: a reader (or a sync tool) sees the old file or the new one. */
export async function writeAtomic(path: string, body: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(temp, body)
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}

export async function readManifest(dir: string): Promise<Set<string>> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, MANIFEST_NAME), 'utf8')) as Partial<Manifest>
    return new Set(Array.isArray(parsed.files) ? parsed.files.filter((f): f is string => typeof f === 'string') : [])
  } catch {
    return new Set()
  }
}

export async function writeManifest(dir: string, files: Iterable<string>): Promise<void> {
  const manifest: Manifest = { version: 1, files: [...files].sort() }
  await writeAtomic(join(dir, MANIFEST_NAME), `${JSON.stringify(manifest, null, 1)}\n`)
}

/** Delete a file of an earlier export, then the folders it leaves empty (up to the export folder). */
export async function removeExported(dir: string, relative: string): Promise<void> {
  const full = inside(dir, relative)
  await rm(full, { force: true })
  const root = resolve(dir)
  for (let folder = dirname(full); folder !== root && folder.startsWith(root + sep); folder = dirname(folder)) {
    try {
      await rmdir(folder)
    } catch {
      return // not empty (or already gone): stop climbing
    }
  }
}
