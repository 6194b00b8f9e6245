// A plugin whose optimizer is named like a built-in one (sgd): a clash the command line must explain.
import { defineOptimizer, definePlugin } from '@nablajs/optim';

export const sgd = defineOptimizer({ name: 'sgd', defaults: { lr: 0.01 }, rule: { init: () => null, update() {} } });

export default definePlugin({ name: 'sgd-clash-fixture', optimizers: { sgd } });
