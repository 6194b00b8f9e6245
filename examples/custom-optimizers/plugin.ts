// The six optimizers of this folder as one plugin: `usePlugin(customOptimizers)` makes them available
// by name, to `createOptimizer`, to wrappers such as `grokfast` and to `nabla compare`.
import { definePlugin } from '@nablajs/optim';
import { blockNormalizedSgd } from './block-normalized-sgd';
import { extragradient } from './extragradient';
import { grokfast } from './grokfast';
import { normalizedSgd } from './normalized-sgd';
import { polyakSgd } from './polyak-sgd';
import { signum } from './signum';

export default definePlugin({
  name: 'custom-optimizers',
  optimizers: { signum, blockNormalizedSgd, normalizedSgd, extragradient, polyakSgd, grokfast },
});
