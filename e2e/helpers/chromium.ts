import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** CHROMIUM_PATH, then Debian's chromium, then a browser Playwright downloaded itself; else how to get one. */
export function findChromium(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
  try {
    candidates.push(chromium.executablePath())
  } catch {
    // playwright-core has no browser of its own unless one was installed.
  }
  const found = candidates.find((path): path is string => typeof path === 'string' && path !== '' && existsSync(path))
  if (!found) {
    throw new Error(
      'No Chromium found for the browser tests. Install one: `apt-get update && apt-get install -y chromium` (Debian/Ubuntu), ' +
        'or `npx playwright install chromium`, or point CHROMIUM_PATH at a Chrome/Chromium binary.',
    )
  }
  return found
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS })
}
