// Browser tests against the real Outreach binary on a fresh embedded database, in Debian's
// Chromium (Playwright cannot download browsers here).
import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const port = Number(process.env.E2E_PORT ?? 3107);
const baseURL = `http://127.0.0.1:${port}`;
const root = resolve(__dirname, '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
// Decided once in the main process and inherited by workers, so every worker sees the same app.
process.env.E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'outreach-e2e-'));

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
  // First-run setup is itself under test: foundation.spec.ts runs first on the fresh app,
  // every other spec after it (signing in as the admin it created).
  projects: [
    { name: 'foundation', testMatch: /foundation\.spec\.ts$/ },
    { name: 'journeys', testIgnore: /foundation\.spec\.ts$/, dependencies: ['foundation'] },
  ],
  webServer: {
    // E2E_PROFILE=release runs the suite against the release build (`cargo leptos build --release`).
    command: `${targetDir}/${process.env.E2E_PROFILE ?? 'debug'}/outreach`,
    cwd: root,
    url: `${baseURL}/readyz`,
    timeout: 120_000,
    reuseExistingServer: false,
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
    stdout: 'pipe',
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: `${root}/target/site`,
      OUTREACH_DATA_DIR: process.env.E2E_DATA_DIR!,
      OUTREACH_SYNC_INTERVAL_SECS: '2',
      // Sends go out at once (sending.spec.ts watches a campaign finish).
      OUTREACH_PACING: 'off',
      // Simulated recipients answer after 3 s (timeline.spec.ts waits for one).
      OUTREACH_SANDBOX_REPLY_DELAY_SECS: '3',
      RUST_LOG: process.env.E2E_RUST_LOG ?? 'warn',
      DATABASE_URL: '',
      GOOGLE_CLIENT_ID: '',
      GOOGLE_CLIENT_SECRET: '',
    },
  },
});
