// The learning-rate sweep behind the playground's per-task defaults (src/tuning.ts), run in Node with the
// race engine the page's worker runs (src/race.ts), on the wasm backend as in the browser:
//
//   npx tsx examples/playground/sweep-lr.ts                        # every task (about 20 minutes on 2 cores)
//   npx tsx examples/playground/sweep-lr.ts rosenbrock beale       # some tasks
//
// For each task and optimizer, every learning rate of a log grid races for the task's default length on the
// sweep's seeds. The score of a rate is the mean over the steps of log10(median loss) (floored at 1e-12):
// the area under the log-loss curve, which rewards moving early, what a race shows, as well as ending low (on
// the saddle, unbounded below, the mean of the loss floored at the lowest value of f in the plotted box,
// -2.25). Its gain is how far below the score of standing still (log10 of the initial loss) it is. A rate is
// eligible when no seed diverged or threw; the chosen one is the smallest eligible rate with at least
// SHARE (80%) of the best rate's gain, which keeps away from the edge of divergence (and from a race over in a
// few steps) at little cost. Prints a Markdown table per task (scores; `div`: a seed diverged) and the `lr`
// objects to paste into src/tuning.ts.
import { initWasmBackend, setBackend } from '@nablajs/core';
import { listOptimizers, usePlugin } from '@nablajs/optim';
import adadelta from '@nablajs/optim-adadelta';
import adagrad from '@nablajs/optim-adagrad';
import adam from '@nablajs/optim-adam';
import lamb from '@nablajs/optim-lamb';
import lbfgs from '@nablajs/optim-lbfgs';
import lion from '@nablajs/optim-lion';
import rmsprop from '@nablajs/optim-rmsprop';
import rprop from '@nablajs/optim-rprop';
import sgd from '@nablajs/optim-sgd';
import type { RacerSpec, TaskName } from './src/protocol';
import { isFunctionTask, Race } from './src/race';
import { TASK_DEFAULTS } from './src/tuning';

for (const plugin of [sgd, adam, rmsprop, adagrad, adadelta, rprop, lbfgs, lion, lamb]) usePlugin(plugin);
if (await initWasmBackend()) setBackend('wasm');

const TASKS: TaskName[] = ['rosenbrock', 'beale', 'himmelblau', 'saddle', 'illConditioned', 'spirals', 'digits'];
/** 1, 2, 5 per decade from 1e-5 to 10 on the 2-D functions (cheap); 1, 3 per decade from 1e-4 to 10 on the models. */
const FUNCTION_GRID = [-5, -4, -3, -2, -1, 0].flatMap((e) => [1, 2, 5].map((m) => Number(`${m}e${e}`))).concat([10]);
const MODEL_GRID = [-4, -3, -2, -1, 0].flatMap((e) => [1, 3].map((m) => Number(`${m}e${e}`))).concat([10]);
/** Seeds per rate: 3 (on the functions the start is jittered, on the models the initial weights differ). */
const SWEEP_SEEDS = { function: 3, model: 3 };
/** L-BFGS on the models costs up to 25 evaluations a step: it keeps PyTorch's lr 1 there, unswept. */
const UNSWEPT_ON_MODELS = new Set(['lbfgs']);
/** The share of the best gain the chosen rate must reach. */
const SHARE = 0.8;

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');

/** A loss on the score's scale. */
function level(task: TaskName, loss: number): number {
  return task === 'saddle' ? Math.max(loss, -2.25) : Math.log10(Math.max(loss, 1e-12));
}

function score(task: TaskName, medians: number[]): number {
  if (medians.length === 0) return Number.POSITIVE_INFINITY;
  let sum = 0;
  for (const m of medians) sum += level(task, m);
  return sum / medians.length;
}

const tasks = process.argv.length > 2 ? (process.argv.slice(2) as TaskName[]) : TASKS;
const chosen: Record<string, Record<string, number>> = {};
for (const task of tasks) {
  const started = performance.now();
  const fn = isFunctionTask(task);
  const grid = fn ? FUNCTION_GRID : MODEL_GRID;
  const { maxSteps } = TASK_DEFAULTS[task];
  const lines = [`### ${task} (${maxSteps} steps, ${fn ? SWEEP_SEEDS.function : SWEEP_SEEDS.model} seeds)`, ''];
  lines.push(`| optimizer | chosen lr | its score | ${grid.map(String).join(' | ')} |`);
  lines.push(`|---|---|---|${grid.map(() => '---').join('|')}|`);
  chosen[task] = {};
  for (const optimizer of listOptimizers()) {
    if (!fn && UNSWEPT_ON_MODELS.has(optimizer)) continue;
    const racers: RacerSpec[] = grid.map((lr, i) => ({
      id: `r${i}`,
      label: `${optimizer} lr=${lr}`,
      optimizer,
      options: { lr },
      schedule: { kind: 'none' },
    }));
    const race = new Race({ task, racers, seeds: fn ? SWEEP_SEEDS.function : SWEEP_SEEDS.model });
    const medians: number[][] = grid.map(() => []);
    const collect = () =>
      race.report().forEach((r, i) => {
        for (let k = 0; k < r.losses.length; k += 3) medians[i].push(r.losses[k]);
      });
    while (race.stepAll(maxSteps)) if (!fn) collect();
    const reports = race.report();
    reports.forEach((r, i) => {
      for (let k = 0; k < r.losses.length; k += 3) medians[i].push(r.losses[k]);
    });
    const scores = reports.map((r, i) => (r.status === 'done' ? score(task, medians[i]) : Number.NaN));
    const gains = reports.map((r, i) => level(task, r.initialLoss) - scores[i]);
    const top = Math.max(...gains.filter((g) => !Number.isNaN(g)));
    const pick = top > 0 ? gains.findIndex((g) => g >= SHARE * top) : gains.indexOf(top);
    if (pick >= 0) chosen[task][optimizer] = grid[pick];
    const cells = reports.map((r, i) =>
      r.status === 'done' ? fmt(scores[i]) : r.status === 'diverged' ? 'div' : 'err',
    );
    lines.push(
      `| ${optimizer} | ${pick >= 0 ? grid[pick] : '–'} | ${pick >= 0 ? fmt(scores[pick]) : '–'} | ${cells.join(' | ')} |`,
    );
  }
  console.log(lines.join('\n'));
  console.log(`\n(${task}: ${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
}
console.log(JSON.stringify(chosen, null, 2));
