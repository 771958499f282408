#!/usr/bin/env node
// `npm run serve`'s preserve step, in one process: build the server (out/server) and the admin console
// (out/renderer) when their sources are newer than the build; when both are current it only compares file
// times. A failed server build stops `npm run serve`; a failed console build does not (the blog still works).
import { ensureConsoleBuilt } from './build-console.mjs'
import { ensureServerBuilt } from './build-server.mjs'

try {
  if (await ensureServerBuilt()) console.error('Server built into out/server.')
} catch (err) {
  console.error(`Building the server failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
try {
  if (await ensureConsoleBuilt()) console.error('Admin console built into out/renderer.')
} catch (err) {
  console.error(`Building the admin console failed: ${err instanceof Error ? err.message : String(err)}`)
  console.error('The blog still works; /admin/console/ will say the console is not built. Run `npm run build:console` to see the full error.')
}
