import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  main: {
    build: { rolldownOptions: { input: { index: resolve(__dirname, 'src/main/index.ts') } } },
  },
  preload: {
    build: {
      // A sandboxed preload cannot require packages: zod (the contract's schemas) is bundled into it.
      externalizeDeps: { exclude: ['zod'] },
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    // Relative asset URLs: the same build is served at app://console/ (desktop) and /admin/console/ (browser).
    base: './',
    plugins: [react()],
    build: { rolldownOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } } },
  },
})
