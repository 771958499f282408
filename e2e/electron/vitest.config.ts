import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The Electron smoke test only (`npm run test:electron`): it needs a real Electron, so the main suite
// excludes it and .github/workflows/desktop.yml runs it after packaging.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['e2e/electron/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
