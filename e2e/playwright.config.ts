// The end-to-end suite: Debian's Chromium (never a downloaded browser) against the real release
// binary, which global-setup.ts starts on a free port with a fresh SQLite database and the demo
// workspace. Run it with `bash scripts/e2e` (builds everything first) or, when the web app and the
// binary are built, `npx playwright test --config e2e/playwright.config.ts`.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  outputDir: 'test-results',
  // CI must see a failure as a failure: no retries, no `.only` left behind.
  retries: 0,
  forbidOnly: true,
  // Two cores: one browser at a time keeps timings honest (the server hashes passwords with argon2).
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  globalTimeout: 10 * 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['html', { outputFolder: 'playwright-report', open: 'never' }]],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    actionTimeout: 10_000,
    navigationTimeout: 20_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
