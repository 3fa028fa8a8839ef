import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/interop/**'], setupFiles: ['test/setup-env.ts'] } },
      { extends: true, test: { name: 'property', include: ['property-tests/**/*.test.ts'], setupFiles: ['test/setup-env.ts', 'property-tests/setup.ts'], testTimeout: 60_000 } },
      {
        extends: true,
        test: {
          name: 'interop',
          include: ['test/interop/**/*.test.ts'],
          setupFiles: ['test/setup-env.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false
        }
      }
    ]
  }
})
