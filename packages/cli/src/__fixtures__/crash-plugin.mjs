// An optimizer plugin whose update ends the process: a trial worker that dies in the middle of a trial,
// for the trial pool's tests (never load it in the test process itself).
import { defineOptimizer, definePlugin } from '@nablajs/optim';

const exitOnUpdate = () => ({
  init: () => null,
  update() {
    process.exit(3);
  },
});

export const crashSgd = defineOptimizer({ name: 'crashSgd', defaults: { lr: 0.01 }, rule: exitOnUpdate() });

export default definePlugin({ name: 'crash-plugin-fixture', optimizers: { crashSgd } });
