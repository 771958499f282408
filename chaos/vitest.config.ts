import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/** Files run one at a time in name order: the log scan (zz-*) must come last, after every server has written. */
class ByName extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId))
  }
  override async shard(files: TestSpecification[]): Promise<TestSpecification[]> {
    return files
  }
}

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['chaos/**/*.chaos.test.ts'],
    // Real processes, kill -9 rounds and a soak: long, but every loop inside is bounded.
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time: they spawn servers and load the 2 cores; timing-sensitive faults stay honest.
    fileParallelism: false,
    sequence: { sequencer: ByName },
    globalSetup: ['chaos/harness/global-setup.ts'],
  },
})
