/**
 * In a packaged desktop app, better-sqlite3 resolves to a path inside app.asar. The reader threads
 * load it by absolute path, and a worker thread should not depend on Electron's archive support, so
 * packaging keeps the package and its native binding out of the archive (electron-builder.yml,
 * asarUnpack) and the threads load that copy. Anywhere else the path is returned unchanged.
 */
const ASAR_SEGMENT = /([\\/])app\.asar([\\/])/

export function outsideAsar(modulePath: string, exists: (path: string) => boolean): string {
  if (!ASAR_SEGMENT.test(modulePath)) return modulePath
  const unpacked = modulePath.replace(ASAR_SEGMENT, '$1app.asar.unpacked$2')
  return exists(unpacked) ? unpacked : modulePath
}
