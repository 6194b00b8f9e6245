// An optimizer plugin whose update throws: `bomb` an Error, `stringBomb` a string (a run that fails, for the
// tests of what nabla compare says then).
import { defineOptimizer, definePlugin } from '@nablajs/optim';

export const bomb = defineOptimizer({
  name: 'bomb',
  defaults: { lr: 0.01 },
  rule: {
    init: () => null,
    update() {
      throw new TypeError('kaboom in update');
    },
  },
});

export const stringBomb = defineOptimizer({
  name: 'stringBomb',
  defaults: { lr: 0.01 },
  rule: {
    init: () => null,
    update() {
      throw 'boom';
    },
  },
});

export default definePlugin({ name: 'throwing-plugin-fixture', optimizers: { bomb, stringBomb } });
