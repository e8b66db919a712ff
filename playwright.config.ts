/**
 * Playwright runs the browser tests in Debian's Chromium (never a downloaded browser), headless,
 * one worker at a time because the machine has two cores and the tests train and serve models.
 */
import { defineConfig } from '@playwright/test';

const CHROMIUM_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--no-sandbox'];

export default defineConfig({
  testDir: 'tests/browser',
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS },
  },
  projects: [
    { name: 'chromium', testIgnore: '**/*webgpu*.spec.ts' },
    {
      // SwiftShader's CPU-emulated WebGPU adapter: correct results, far slower than wasm.
      name: 'chromium-webgpu',
      testMatch: '**/*webgpu*.spec.ts',
      use: { launchOptions: { executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] } },
    },
  ],
});
