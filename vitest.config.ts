import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'e2e/**/*.test.ts'],
    // The Electron smoke test needs a real Electron: `npm run test:electron`, run by .github/workflows/desktop.yml.
    exclude: [...configDefaults.exclude, 'e2e/electron/**'],
    // Real SQLite files, real HTTP and real Chromium: give slow machines room, never assert on time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Builds .vendor/sqlite-nofts5 (a better-sqlite3 whose SQLite lacks FTS5) once, for the search fallback tests.
    globalSetup: ['scripts/build-sqlite-nofts5.mjs'],
  },
})
