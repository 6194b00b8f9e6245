import { defineProject } from 'vitest/config';
import { sharedWorker, sourceAliases, timeouts } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias: sourceAliases },
  test: {
    ...timeouts,
    ...sharedWorker,
    name: 'optim-mars',
    include: ['src/**/*.test.ts'],
  },
});
