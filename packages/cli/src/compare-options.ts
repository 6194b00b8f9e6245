// The options of `nabla compare`, with the limits and defaults they state.
import type { OptionDef } from './args';
import { BACKEND_OPTION } from './backend';
import { TUNING_SEED_OFFSET } from './tune';
import { DEFAULT_TUNE_BUDGET, MAX_TUNE_BUDGET, MAX_TUNE_SEEDS } from './tune-search';

/**
 * The most seeds `--seeds` takes.
 *
 * @example
 * ```ts
 * MAX_SEEDS; // 100
 * ```
 */
export const MAX_SEEDS = 100;

/**
 * The default of `--diverge-factor`: a run whose loss passes 10 times its initial loss has diverged.
 *
 * @example
 * ```ts
 * DEFAULT_DIVERGE_FACTOR; // 10
 * ```
 */
export const DEFAULT_DIVERGE_FACTOR = 10;

/**
 * The options of `nabla compare`, as the parser and the help read them.
 *
 * @example
 * ```ts
 * parseArgs(['--task', 'spirals', '--epochs', '20'], COMPARE_OPTIONS).values; // { task: 'spirals', epochs: 20 }
 * ```
 */
export const COMPARE_OPTIONS: readonly OptionDef[] = [
  {
    name: 'task',
    type: 'string',
    value: 'TASK',
    description: 'what to train or minimise (see TASKS)',
    default: 'digits-mlp',
  },
  {
    name: 'optimizers',
    type: 'list',
    value: 'SPECS',
    description:
      "optimizer specs separated by spaces, e.g. 'sgd:lr=0.1,momentum=0.9 adam:lr=1e-3' (see OPTIMIZER SPECS)",
    default: "the task's own set",
  },
  {
    name: 'epochs',
    type: 'integer',
    min: 1,
    value: 'N',
    description: 'epochs to train (model tasks)',
    default: 'per task',
  },
  {
    name: 'steps',
    type: 'integer',
    min: 1,
    value: 'N',
    description: 'optimizer steps to take (2-D functions; for model tasks, instead of --epochs)',
    default: 'per task',
  },
  {
    name: 'batch-size',
    type: 'integer',
    min: 1,
    value: 'N',
    description: 'samples per batch (model tasks)',
    default: 'per task',
  },
  {
    name: 'seed',
    type: 'integer',
    min: 0,
    value: 'N',
    description: 'the base seed: it draws the data and its split; run k of each optimizer uses seed N + k',
    default: '0',
  },
  {
    name: 'seeds',
    type: 'integer',
    min: 1,
    value: 'N',
    description: `run every optimizer on N seeds (at most ${MAX_SEEDS}): each seed gives other initial weights and another data order; the table shows mean ± standard deviation, the charts the median and the interquartile range. The 2-D functions start from a fixed point, so their seeds differ only for an optimizer that draws random numbers`,
    default: '1',
  },
  {
    name: 'diverge-factor',
    type: 'number',
    value: 'X',
    description:
      'a run diverges, and stops there, when its loss is NaN or infinite or above X times its initial loss (X > 1; for a 2-D function, X times the larger of f at the start and the largest f in the plotted box); it is shown as diverged and left out of the means',
    default: '10',
  },
  {
    name: 'schedule',
    type: 'string',
    value: 'SPEC',
    description: 'learning-rate schedule (see SCHEDULES)',
    default: 'none',
  },
  {
    name: 'target-loss',
    type: 'number',
    value: 'X',
    description: 'report the first step (and the time) at which the smoothed train loss (f for 2-D functions) is <= X',
    default: 'per task',
  },
  {
    name: 'data',
    type: 'string',
    value: 'DIR',
    description: 'MNIST directory (mnist-mlp, mnist-cnn)',
    default: 'the bundled test set',
  },
  { name: 'limit', type: 'integer', min: 1, value: 'N', description: 'use at most N training samples (model tasks)' },
  {
    name: 'out',
    type: 'string',
    value: 'DIR',
    description:
      'write report.html, results.json, results.csv and runs.csv into DIR (checked before the run; each file written to a temporary file, then renamed)',
  },
  {
    name: 'plugin',
    type: 'list',
    value: 'FILE',
    description: 'load an optimizer plugin (a module whose default export is definePlugin(...))',
  },
  {
    name: 'loss-scale',
    type: 'choice',
    choices: ['auto', 'log', 'linear', 'symlog'],
    value: 'SCALE',
    description:
      'y scale of the loss charts; auto: log when every loss is positive, else symlog (sign(y) log10(1 + |y|)) when |loss| passes 100, else linear',
    default: 'auto',
  },
  {
    name: 'tune',
    type: 'list',
    value: 'SPACE',
    description:
      "search hyperparameters before the comparison, e.g. 'lr=1e-4..1e-1:log:8' or 'lr=1e-3..1:4;momentum=0.8,0.9,0.95' (see TUNING); a prefix 'adam:' limits a space to the optimizer of that label or name",
  },
  {
    name: 'tune-mode',
    type: 'choice',
    choices: ['grid', 'random'],
    value: 'MODE',
    description: `grid: every point of the grid (a seeded sample of --tune-budget points when it is larger); random: --tune-budget seeded draws`,
    default: 'grid',
  },
  {
    name: 'tune-budget',
    type: 'integer',
    min: 1,
    value: 'N',
    description: `the most trials per tuned optimizer (at most ${MAX_TUNE_BUDGET})`,
    default: String(DEFAULT_TUNE_BUDGET),
  },
  {
    name: 'tune-seeds',
    type: 'integer',
    min: 1,
    value: 'K',
    description: `the seeds every trial runs on (at most ${MAX_TUNE_SEEDS}): --seed + ${TUNING_SEED_OFFSET}, ..., never among the seeds the results are reported on`,
    default: '1',
  },
  BACKEND_OPTION,
  {
    name: 'capture',
    type: 'flag',
    description:
      "model tasks: record each batch shape's forward, loss and backward once with capture() and replay it (fit's capture option): the same losses, less time per step where JavaScript, not the kernels, takes it (small models)",
  },
  { name: 'quiet', type: 'flag', description: 'no progress display' },
  { name: 'json', type: 'flag', description: 'print results.json to stdout instead of the table' },
];
