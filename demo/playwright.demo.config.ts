/**
 * Playwright config for the demo store's tests alone:
 *   npx playwright test --config demo/playwright.demo.config.ts
 * The spec starts its own companion and static server, so no webServer entry is needed here.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '../tests/browser',
  testMatch: /demo.*\.spec\.ts$/,
  // One worker: each spec file starts a companion and a browser, and may train models first.
  workers: 1,
  timeout: 60_000,
  reporter: [['list']],
  use: { trace: 'retain-on-failure' },
});
