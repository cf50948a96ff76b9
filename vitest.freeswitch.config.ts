import { defineConfig } from 'vitest/config';

/**
 * `npm run test:freeswitch`: the live suite against drachtio-server + FreeSWITCH named by
 * DRACHTIO_HOST/PORT/SECRET and FREESWITCH_HOST/PORT/SECRET. Not part of `npm test` (its files end in
 * .live.ts, which vitest.config.ts does not include). Without the variables every test is skipped.
 */
export default defineConfig({
  test: {
    include: ['test/freeswitch/**/*.live.ts'],
    globalSetup: ['test/freeswitch/live-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
