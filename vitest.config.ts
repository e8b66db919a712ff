import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: native FAISS and tfjs tests compete for them, so files run one at a time.
    fileParallelism: false,
  },
});
