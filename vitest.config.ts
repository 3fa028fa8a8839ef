import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/interop/**'] } },
      { extends: true, test: { name: 'property', include: ['property-tests/**/*.test.ts'], setupFiles: ['property-tests/setup.ts'], testTimeout: 60_000 } },
      {
        extends: true,
        test: {
          name: 'interop',
          include: ['test/interop/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false
        }
      }
    ]
  }
})
