import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // two cores: each test file gets its own process with its own wasm backend
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
