import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompareResult } from './results';
import { CSV_COLUMNS, parseCsvLine } from './results-csv';
import { runCaptured as run } from './test-cli';

const fixtures = fileURLToPath(new URL('./__fixtures__', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nabla-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('usage errors: exit code 2, the valid values on stderr, nothing written', () => {
  it('an unknown optimizer', async () => {
    const r = await run(['compare', '--task', 'quadratic', '--optimizers', 'sgd adamm', '--out', 'out'], dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^nabla compare: unknown optimizer "adamm"; valid optimizers: adabelief, adadelta, adafactor, adagrad, adam, /,
    );
    expect(r.stderr).toContain('rmsprop');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('an unknown task', async () => {
    const r = await run(['compare', '--task', 'rosenbrok', '--out', 'out'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'unknown task "rosenbrok"; valid tasks: digits-mlp, mnist-mlp, mnist-cnn, spirals, linear-regression, tiny-shakespeare, rosenbrock, beale, himmelblau, saddle, quadratic',
    );
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('an unknown option', async () => {
    const r = await run(['compare', '--task', 'quadratic', '--lr', '0.1'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --lr; valid options: --task, --optimizers, /);
  });

  it('an unknown hyperparameter', async () => {
    const r = await run(['compare', '--task', 'quadratic', '--optimizers', 'adam:beta1=0.9', '--out', 'out'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'unknown hyperparameter "beta1" for optimizer adam; valid hyperparameters of adam: lr, betas, eps, weightDecay, amsgrad, maximize',
    );
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('an unknown schedule, command, and options that do not fit the task', async () => {
    expect((await run(['compare', '--task', 'quadratic', '--schedule', 'cosinus'], dir)).stderr).toMatch(
      /unknown schedule "cosinus"; valid schedules: none, step, /,
    );
    const command = await run(['comapre'], dir);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "comapre"; valid commands: compare, help');
    expect((await run(['compare', '--task', 'rosenbrock', '--epochs', '3'], dir)).stderr).toContain(
      '--epochs does not apply to the 2-D function task rosenbrock; use --steps',
    );
    expect((await run(['compare', '--task', 'spirals', '--data', '.'], dir)).stderr).toContain(
      '--data applies to the MNIST tasks (mnist-mlp, mnist-cnn), not to spirals',
    );
  });

  it('leaves an existing --out untouched, and refuses one with foreign files', async () => {
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'report.html'), 'old');
    const bad = await run(['compare', '--task', 'quadratic', '--optimizers', 'nope', '--out', 'out'], dir);
    expect(bad.code).toBe(2);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toBe('old');
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const foreign = await run(['compare', '--task', 'quadratic', '--out', 'out'], dir);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('holds files that nabla compare did not write (notes.txt)');
  });

  it('refuses, before training, an --out that cannot be created (usage error, exit 2, no stack trace)', async () => {
    writeFileSync(join(dir, 'plain.txt'), 'x');
    const underFile = await run(['compare', '--task', 'quadratic', '--out', 'plain.txt/out'], dir);
    expect(underFile.code).toBe(2);
    expect(underFile.stderr).toMatch(/--out: .*plain\.txt\/out cannot be created: .*plain\.txt is not a directory/);
    expect(underFile.stdout).not.toMatch(/done/);
    // /proc refuses new directories even to root
    const proc = await run(['compare', '--task', 'quadratic', '--out', '/proc/nope'], dir);
    expect(proc.code).toBe(2);
    expect(proc.stderr).toMatch(/--out: \/proc\/nope cannot be created: \/proc is not writable/);
    expect(proc.stderr).not.toMatch(/\n\s+at /);
    expect(proc.stdout).not.toMatch(/done/);
  });
});

describe('help', () => {
  it('nabla --help lists the commands, tasks, optimizers with their defaults, schedules and options', async () => {
    const r = await run(['--help'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nabla compare [options]');
    for (const task of ['digits-mlp', 'mnist-cnn', 'spirals', 'linear-regression', 'beale', 'saddle', 'quadratic'])
      expect(r.stdout).toContain(`  ${task}`);
    expect(r.stdout).toMatch(
      / {2}sgd +lr=0\.001 momentum=0 dampening=0 weightDecay=0 nesterov=false maximize=false {2}\[@nablajs\/optim-sgd\]/,
    );
    expect(r.stdout).toMatch(/ {2}adam +lr=0\.001 betas=\[0\.9,0\.999\] eps=1e-8/);
    expect(r.stdout).toContain('warmup-cosine');
    expect(r.stdout).toContain('onecycle:maxLr=');
    for (const option of [
      '--task',
      '--optimizers',
      '--epochs',
      '--steps',
      '--batch-size',
      '--seed',
      '--schedule',
      '--target-loss',
      '--out',
      '--plugin',
      '--quiet',
      '--json',
      '--tune SPACE',
      '--tune-mode MODE',
      '--tune-budget N',
      '--tune-seeds K',
    ])
      expect(r.stdout).toContain(option);
    expect(r.stdout).toContain("TUNING: --tune '[optimizer:]name=RANGE-OR-LIST[;name=...]'");
  });

  it('nabla compare --help with --plugin lists the plugin optimizers too', async () => {
    const r = await run(['compare', '--plugin', join(fixtures, 'sign-sgd.mjs'), '--help'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ {2}signSgd +lr=0\.01 {2}\[sign-sgd-fixture\]/);
  });
});

describe('a comparison', () => {
  it('prints the table, writes report.html, results.json and results.csv that agree', async () => {
    const r = await run(
      [
        'compare',
        '--task',
        'quadratic',
        '--optimizers',
        'sgd:lr=0.015 momentum@sgd:lr=0.015,momentum=0.9',
        '--optimizers',
        'adam:lr=0.05',
        '--steps',
        '50',
        '--quiet',
        '--out',
        'out',
      ],
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /optimizer +status +f \(final \/ best\) +final \(x, y\) +steps to f <= 1e-4 +time to target +time\/step\n/,
    );
    expect(r.stdout).toMatch(/\nsgd +ok +[\d.e-]+ \/ [\d.e-]+ +\(/);
    expect(r.stdout).toMatch(/\nmomentum +ok /);
    // with --quiet the first line (which names the backend) is not printed: the legend names it
    expect(r.stdout).toContain(
      'target: f <= 1e-4; time/step: the median time of one optimizer step, on the cpu backend.',
    );
    expect(r.stdout).toContain('wrote ');
    const out = join(dir, 'out');
    expect(readdirNames(out)).toEqual(['report.html', 'results.csv', 'results.json', 'runs.csv']);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as CompareResult;
    expect(json.runs.map((x) => x.label)).toEqual(['sgd', 'momentum', 'adam']);
    expect(json.runs.map((x) => [x.seed, x.status, x.divergedAt])).toEqual([
      [0, 'ok', null],
      [0, 'ok', null],
      [0, 'ok', null],
    ]);
    expect(json.settings).toMatchObject({
      steps: 50,
      seed: 0,
      seeds: [0],
      divergeFactor: 10,
      schedule: 'none',
      targetLoss: 1e-4,
    });
    // The runs ran in a shuffled order after an untimed warm-up of every optimizer, then a timing repeat each.
    expect(json.order?.map((o) => o.label).sort()).toEqual(['adam', 'momentum', 'sgd']);
    expect(json.timing?.warmUp?.runs.map((w) => w.label)).toEqual(['sgd', 'momentum', 'adam']);
    expect(json.timing?.warmUp?.runs.every((w) => w.steps > 0)).toBe(true);
    expect(json.timing?.repeats.map((t) => t.label).sort()).toEqual(['adam', 'momentum', 'sgd']);
    expect(json.aggregates?.map((a) => [a.label, a.finalLoss.mean, a.seeds])).toEqual(
      json.runs.map((x) => [x.label, x.summary.finalLoss, [0]]),
    );
    for (const runJson of json.runs) {
      expect(runJson.steps.timeMs).toHaveLength(51);
      expect(runJson.summary.medianStepMs).toBeGreaterThan(0);
    }
    expect(json.command).toBe(
      "nabla compare --task quadratic --optimizers 'sgd:lr=0.015 momentum@sgd:lr=0.015,momentum=0.9' --optimizers adam:lr=0.05 --steps 50 --quiet --out out",
    );
    expect(json.surface?.values).toHaveLength(101 * 101);

    const lines = readFileSync(join(out, 'results.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    const rows = lines.slice(1).map(parseCsvLine);
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    expect(rows).toHaveLength(3 * 51);
    for (const runJson of json.runs) {
      const mine = rows.filter((row) => row[col('optimizer')] === runJson.label);
      expect(mine.every((row) => row[col('seed')] === '0')).toBe(true);
      expect(mine.map((row) => Number(row[col('step')]))).toEqual(runJson.steps.step);
      expect(mine.map((row) => Number(row[col('timeMs')]))).toEqual(runJson.steps.timeMs);
      expect(mine.map((row) => Number(row[col('loss')]))).toEqual(runJson.steps.loss);
      expect(mine.map((row) => Number(row[col('lr')]))).toEqual(runJson.steps.lr);
      expect(mine.map((row) => Number(row[col('x')]))).toEqual(runJson.steps.x);
      expect(mine.map((row) => Number(row[col('y')]))).toEqual(runJson.steps.y);
      expect(runJson.summary.finalLoss).toBe(runJson.steps.loss.at(-1));
      expect(runJson.summary.bestLoss).toBe(Math.min(...runJson.steps.loss));
    }

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\((?!#)/);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    // contour, f per step, distance to the minimum, learning rate
    expect(svgs).toHaveLength(4);
    for (const svg of svgs) {
      const labels = [...svg.matchAll(/<path class="series" data-label="([^"]*)"/g)].map((m) => m[1]);
      expect(labels).toEqual(['sgd', 'momentum', 'adam']);
    }
    expect(html).toContain(json.command.replace(/'/g, '&#39;'));
    // One seed: no bands, no markers.
    expect(html).not.toContain('class="band"');
    expect(html).not.toContain('class="diverged"');
    expect(readdirNames(dir)).toEqual(['out']);

    const runsCsvLines = readFileSync(join(out, 'runs.csv'), 'utf8').trimEnd().split('\n');
    expect(runsCsvLines[0]).toBe(
      'optimizer,seed,order,status,divergedAt,steps,finalF,bestF,finalX,finalY,stepsToTarget,timeToTargetMs,medianStepMs,wallTimeMs',
    );
    const runRows = runsCsvLines.slice(1).map(parseCsvLine);
    expect(runRows.map((row) => row.slice(0, 2))).toEqual([
      ['sgd', '0'],
      ['momentum', '0'],
      ['adam', '0'],
    ]);
    expect(runRows.map((row) => Number(row[2])).sort()).toEqual([1, 2, 3]);
    expect(runRows.map((row) => Number(row[6]))).toEqual(json.runs.map((x) => x.summary.finalLoss));
  });

  it('compares a model task and reports accuracy', async () => {
    const r = await run(
      [
        'compare',
        '--task',
        'digits-mlp',
        '--optimizers',
        'sgd:lr=0.1 adam:lr=1e-3',
        '--epochs',
        '2',
        '--limit',
        '320',
        '--quiet',
        '--out',
        'out',
        '--json',
      ],
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as CompareResult;
    const written = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as CompareResult;
    expect(printed.runs.map((x) => x.summary.finalLoss)).toEqual(written.runs.map((x) => x.summary.finalLoss));
    expect(written.settings).toMatchObject({ epochs: 2, stepsPerEpoch: 10, steps: 20, batchSize: 32 });
    // Validation numbers where the task has a validation set.
    expect(written.aggregates?.map((a) => a.finalValLoss?.mean)).toEqual(
      written.runs.map((x) => x.epochs.valLoss.at(-1)),
    );
    for (const runJson of written.runs) {
      expect(runJson.epochs.epoch).toEqual([1, 2]);
      expect(runJson.summary.finalAccuracy).toBe(runJson.epochs.valAccuracy[1]);
      expect(runJson.summary.finalAccuracy).toBeGreaterThan(0.2);
    }
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    // loss per step, validation loss per epoch, validation accuracy per epoch, learning rate
    expect(svgs).toHaveLength(4);
    for (const svg of svgs) expect(svg.match(/<path class="series"/g)).toHaveLength(2);
    // Every loss says whether it is the training or the validation loss.
    expect(svgs[0]).toContain('>train loss (smoothed) (log scale)<');
    expect(svgs[1]).toContain('>validation loss (log scale)<');
    expect(svgs[2]).toContain('>validation accuracy<');
    expect(html).toMatch(
      /<th class="num">val loss \(final \/ best\)<\/th>\n<th class="num">val accuracy \(final \/ best\)<\/th>\n<th class="num">steps to train loss &lt;= 0.1<\/th>/,
    );
    const csv = readFileSync(join(dir, 'out', 'results.csv'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map(parseCsvLine);
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    const epochRows = csv.filter((row) => row[col('series')] === 'epoch' && row[col('optimizer')] === 'adam');
    expect(epochRows.map((row) => Number(row[col('valAccuracy')]))).toEqual(written.runs[1].epochs.valAccuracy);
    expect(epochRows.map((row) => row[col('seed')])).toEqual(['0', '0']);
  });

  it('puts the optimizers of a --plugin module beside the built-in ones', async () => {
    const r = await run(
      [
        'compare',
        '--task',
        'quadratic',
        '--plugin',
        join(fixtures, 'sign-sgd.mjs'),
        '--optimizers',
        'signSgd:lr=0.01 sgd:lr=0.01',
        '--steps',
        '200',
        '--json',
        '--quiet',
      ],
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as CompareResult;
    expect(result.settings.plugins).toEqual([join(fixtures, 'sign-sgd.mjs')]);
    const sign = result.runs[0];
    expect(sign).toMatchObject({ label: 'signSgd', optimizer: 'signSgd', hyperparams: { lr: 0.01 } });
    // sign-SGD moves each coordinate by exactly lr per step: x from -1.5 toward 0.
    expect(sign.steps.x![1]).toBeCloseTo(-1.49, 12);
    expect(sign.steps.y![1]).toBeCloseTo(0.49, 12);
    expect(sign.summary.finalLoss).toBeLessThan(0.01);
  });

  it('rejects a --plugin module without a plugin default export', async () => {
    const r = await run(['compare', '--task', 'quadratic', '--plugin', join(fixtures, 'not-a-plugin.mjs')], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('must default-export an optimizer plugin');
    const missing = await run(['compare', '--task', 'quadratic', '--plugin', './nope.js'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--plugin: ${join(dir, 'nope.js')} does not exist`);
  });

  it('shows what a plugin threw that is not an Error, and says how to fix a name clash from the command line', async () => {
    const thrown = await run(['compare', '--task', 'quadratic', '--plugin', join(fixtures, 'throws-string.mjs')], dir);
    expect(thrown.code).toBe(2);
    expect(thrown.stderr.split('\n')[0]).toBe(
      `nabla compare: --plugin: could not load ${join(fixtures, 'throws-string.mjs')}: boom (see nabla compare --help)`,
    );
    const clash = await run(['compare', '--task', 'quadratic', '--plugin', join(fixtures, 'sgd-clash.mjs')], dir);
    expect(clash.code).toBe(2);
    const line = clash.stderr.split('\n')[0];
    expect(line).toContain(
      'optimizer "sgd" is already provided by plugin "@nablajs/optim-sgd"; rename the optimizer in the plugin',
    );
    expect(line).not.toContain('override');
  });

  it('shows progress as plain lines when stderr is not a terminal', async () => {
    const r = await run(
      ['compare', '--task', 'quadratic', '--optimizers', 'sgd:lr=0.01 adam:lr=0.05', '--steps', '100'],
      dir,
    );
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('nabla compare: quadratic, 2 optimizers, 100 steps, seed 0, backend cpu');
    // One line per tenth of the run, 100% included.
    expect(lines.filter((l) => /^ {2}sgd +\d+%/.test(l))).toHaveLength(10);
    expect(lines.filter((l) => /^ {2}adam +done +loss /.test(l))).toHaveLength(1);
    expect(r.stderr).not.toContain('\x1b[');
  });
});

function readdirNames(path: string): string[] {
  return readdirSync(path).sort();
}
