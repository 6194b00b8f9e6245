import { defineProject } from 'vitest/config';
import { sourceAliases, timeouts } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias: sourceAliases },
  test: {
    ...timeouts,
    name: 'optim-lbfgs',
    include: ['src/**/*.test.ts'],
  },
});
