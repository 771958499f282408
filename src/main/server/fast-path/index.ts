// Cached public pages, feeds and /health answered before Express (same headers and bytes).
export { createFastPath, type FastPath, type FastPathDeps, type FastPathStats } from './fast-path'
