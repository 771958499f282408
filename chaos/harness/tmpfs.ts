/**
 * Real filesystem faults that stop root too (CI runs as root, where chmod stops nothing): a small tmpfs
 * mounted as the data dir, remounted read-only or filled to the last byte.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'

export interface Tmpfs {
  path: string
  readOnly(): void
  readWrite(): void
  unmount(): void
}

export function mountTmpfs(path: string, sizeMb: number): Tmpfs {
  mkdirSync(path, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', path], { stdio: 'pipe' })
  } catch (err) {
    throw new Error(
      `cannot mount a tmpfs at ${path} (${(err as Error).message.split('\n')[0]}). The filesystem-fault scenarios need it: ` +
        'run the suite as root in a container allowed to mount (docker run --privileged, or --cap-add SYS_ADMIN).',
      { cause: err },
    )
  }
  const remount = (mode: 'ro' | 'rw') => execFileSync('mount', ['-o', `remount,${mode}`, path], { stdio: 'pipe' })
  return {
    path,
    readOnly: () => remount('ro'),
    readWrite: () => remount('rw'),
    unmount: () => {
      try {
        execFileSync('umount', ['-l', path], { stdio: 'pipe' })
      } catch {
        // Already gone.
      }
    },
  }
}
