import { listOptimizers, pluginOf } from '@nablajs/optim';
import pkg from '../package.json';
import { describeOptions } from './args';
import { BENCHMARK_COMMAND_LINES } from './benchmark-help';
import { COMPARE_OPTIONS } from './compare-options';
import { describeWrapper, formatHyperparams, optimizerDefaults } from './optimizer-spec';
import { describeSchedules } from './schedule';
import { TASKS } from './tasks';

/**
 * The registered optimizers with their plugin and default hyperparameters, one per line.
 *
 * @example
 * ```ts
 * describeOptimizers(); // ['  adadelta  lr=1 rho=0.9 ...  [@nablajs/optim-adadelta]', ...], names padded to one width
 * ```
 */
export function describeOptimizers(): string[] {
  const names = listOptimizers();
  const width = Math.max(8, ...names.map((n) => n.length));
  return names.map((name) => {
    let defaults: string;
    try {
      defaults = describeWrapper(name) ?? formatHyperparams(optimizerDefaults(name));
    } catch (error) {
      defaults = `(defaults unavailable: ${(error as Error).message})`;
    }
    return `  ${name.padEnd(width)}  ${defaults}  [${pluginOf(name) ?? '?'}]`;
  });
}

/**
 * The tasks with their description and defaults.
 *
 * @example
 * ```ts
 * describeTasks().join('\n');
 * ```
 */
export function describeTasks(): string[] {
  const width = Math.max(...Object.keys(TASKS).map((n) => n.length));
  return Object.values(TASKS).flatMap((t) => {
    const d = t.defaults;
    const length =
      t.kind === 'function'
        ? `${d.steps} steps`
        : `${d.epochs} epoch${d.epochs === 1 ? '' : 's'}, batch ${d.batchSize}`;
    return [
      `  ${t.name.padEnd(width)}  ${t.description}`,
      `  ${' '.repeat(width)}  defaults: ${length}, target loss ${d.targetLoss}, --optimizers '${d.optimizers}'`,
    ];
  });
}

/**
 * The full help of `nabla compare`: options, tasks, registered optimizers with their defaults, the
 * optimizer spec syntax, schedules, examples and exit codes.
 *
 * @example
 * ```ts
 * process.stdout.write(compareHelp());
 * ```
 */
export function compareHelp(): string {
  return [
    'Usage: nabla compare [options]',
    '',
    'Train the same model from the same initial weights on the same data order (or, for a 2-D',
    'function, walk from the same start) with each optimizer, on one seed or on --seeds N of them;',
    'show progress, print a table (status, final and best loss and accuracy as mean ± standard',
    'deviation over the seeds, steps and time to the target loss, median time per step), and with',
    '--out write a self-contained report.html (inline SVG charts: medians with interquartile bands)',
    'and results.json / results.csv / runs.csv.',
    '',
    'Fair runs: an untimed warm-up comes first; the runs are made in an order shuffled with --seed;',
    'time per step is a median, and a spread of more than 25% between repeats is noted. A run whose',
    'loss is NaN, infinite or above --diverge-factor times its initial loss stops as diverged: it is',
    'shown so, with a warning, and left out of the means (the exit code stays 0).',
    '',
    'OPTIONS',
    ...describeOptions(COMPARE_OPTIONS),
    '  -h, --help  this help',
    '',
    'TASKS',
    ...describeTasks(),
    '',
    'OPTIMIZERS (registered; default hyperparameters; plugin)',
    ...describeOptimizers(),
    '',
    'OPTIMIZER SPECS: [label@]name[:key=value,key=value,...]',
    "  sgd                                 defaults; shown as 'sgd'",
    '  sgd:lr=0.1,momentum=0.9             hyperparameters (PyTorch names in camelCase; weight_decay works too)',
    '  momentum@sgd:lr=0.1,momentum=0.9    a label, to show one optimizer several times (a@... b@...)',
    '  adam:betas=[0.9,0.99]               lists as [a,b] or a/b; booleans true/false; null; strings as is',
    '  Specs are separated by spaces (quote them) or given in repeated --optimizers flags. Without labels,',
    '  an optimizer named twice is shown by its whole spec.',
    '',
    'SCHEDULES: name[:key=value,...]; stepped after every optimizer step; durations in epochs',
    '  (in steps for runs given with --steps); plateau steps once per epoch with the validation loss',
    "  (once per step with f for 2-D functions). Base values are each optimizer's own lr.",
    ...describeSchedules().map((l) => `  ${l}`),
    '',
    "TUNING: --tune '[optimizer:]name=RANGE-OR-LIST[;name=...]' searches hyperparameters before the comparison",
    '  lr=1e-4..1e-1:log:8                 a range: 8 points, spaced evenly in log space (log is the default for a',
    '                                      positive low end; :linear otherwise; 5 points without a count)',
    '  lr=1e-3..1;momentum=0.8,0.9,0.95    several hyperparameters: the grid of every combination; a list as is',
    '  adam:lr=1e-4..1e-1                  only the optimizer labelled (or named) adam; without a prefix, every one',
    '  (--tune is repeatable; an optimizer that two spaces apply to is an error). Each candidate runs, untimed,',
    '  on the tuning seeds (--tune-seeds of them from --seed + 1000: never a reported seed); the candidate with',
    '  the lowest final validation loss (the final train loss without a validation set, the final f for 2-D',
    '  functions), averaged over those seeds, wins; one that diverged on any of them never does. The chosen',
    '  setting then runs on the reported seeds like any other optimizer,',
    "  shown as 'adam (lr=0.00316)', with a line under the table; results.json keeps every trial (tuning).",
    '  --tune-mode random draws --tune-budget settings instead (ranges uniform in their scale); a grid larger',
    '  than the budget is sampled. If every candidate diverged, the optimizer runs with its spec as given.',
    '',
    'EXAMPLES',
    "  nabla compare --task digits-mlp --optimizers 'sgd:lr=0.1 momentum@sgd:lr=0.05,momentum=0.9 rmsprop:lr=1e-3 adagrad:lr=0.05 adam:lr=1e-3' --epochs 10 --out out",
    "  nabla compare --task rosenbrock --optimizers 'adam:lr=0.05 momentum@sgd:lr=2e-4,momentum=0.9' --steps 2000 --out out",
    "  nabla compare --task spirals --schedule warmup-cosine:warmup=5 --optimizers 'adam:lr=1e-2 adamw:lr=1e-2'",
    "  nabla compare --task digits-mlp --optimizers 'sgd:lr=0.1 adam:lr=1e-3' --epochs 5 --seeds 5 --out out",
    "  nabla compare --task digits-mlp --optimizers 'sgd adam' --epochs 5 --tune 'lr=1e-4..1:log:9' --seeds 3 --out out",
    "  nabla compare --task mnist-mlp --data ./mnist --epochs 3 --plugin ./sign-sgd.js --optimizers 'signSgd:lr=1e-3 adam'",
    '',
    'EXIT CODES',
    '  0 done (also when runs diverged: a warning says so); 1 the run failed; 2 a usage error (unknown',
    '  task, optimizer, option, a bad value, an --out that cannot be written, ...): nothing runs or is written',
    '',
  ].join('\n');
}

/**
 * The help of `nabla`: the commands, then everything about `compare`.
 *
 * @example
 * ```ts
 * process.stdout.write(mainHelp());
 * ```
 */
export function mainHelp(): string {
  return [
    `nabla: compare optimizers side by side (@nablajs/cli ${pkg.version})`,
    '',
    'Usage:',
    '  nabla compare [options]   train with several optimizers and report (below)',
    ...BENCHMARK_COMMAND_LINES,
    '  nabla help [command]      this help',
    '  nabla --version           the version',
    '',
    compareHelp(),
  ].join('\n');
}
