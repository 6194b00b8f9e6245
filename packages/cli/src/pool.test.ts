// The trial pool: worker processes give what this process gives, a failing trial fails alone, a worker
// that dies fails its trial with its exit code, and the `__trial` protocol.
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './args';
import { planBenchmark } from './benchmark-plan';
import { BENCHMARK_OPTIONS } from './benchmark-suite';
import { metricsOf } from './benchmark-test-helpers';
import { encodeTrialJson, reviveNumbers, TRIAL_LINE, trialWorker } from './benchmark-trial';
import { registerBuiltinPlugins } from './plugins';
import { inProcessPool, processPool, workerCommand } from './pool';
import { type TrialDefinition, trialDefinition } from './trial-definition';

const crashPlugin = fileURLToPath(new URL('./__fixtures__/crash-plugin.mjs', import.meta.url));

function definitions(): TrialDefinition[] {
  registerBuiltinPlugins();
  const { plan } = planBenchmark(
    parseArgs(
      ['--tasks', 'quadratic', '--optimizers', 'adam', '--steps', '8', '--seeds', '3', '--tune-budget', '0'],
      BENCHMARK_OPTIONS,
    ),
    process.cwd(),
    [],
  );
  return plan.seeds.map((seed) => trialDefinition(plan, plan.tasks[0], plan.optimizers[0], null, seed, 'report'));
}

describe('the trial pool', () => {
  it('gives the same results in worker processes as in this process', async () => {
    const defs = definitions();
    const local = inProcessPool({ plugins: [], cwd: process.cwd() });
    const here = await Promise.all(defs.map((d) => local.run(d)));
    await local.close();
    const pool = processPool(2, { plugins: [], cwd: process.cwd() });
    const there = await Promise.all(defs.map((d) => pool.run(d)));
    await pool.close();
    expect(metricsOf(there)).toEqual(metricsOf(here));
    expect((here[0] as { run: { steps: { step: number[] } } }).run.steps.step).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('fails a trial that throws, and goes on with the others', async () => {
    const [good] = definitions();
    const bad = { ...good, task: 'no-such-task' };
    for (const pool of [
      inProcessPool({ plugins: [], cwd: process.cwd() }),
      processPool(1, { plugins: [], cwd: process.cwd() }),
    ]) {
      const failed = pool.run(bad);
      const after = pool.run(good);
      await expect(failed).rejects.toThrow(/no-such-task, adam, seed 0: unknown task "no-such-task"/);
      await expect(after).resolves.toMatchObject({ metricName: 'final f' });
      await pool.close();
    }
  });

  it('fails the running and the queued trials when a worker dies, with its exit code', async () => {
    const [good] = definitions();
    const crash = { ...good, optimizer: { name: 'crashSgd', options: {}, plugin: null } };
    const pool = processPool(1, { plugins: [crashPlugin], cwd: process.cwd() });
    const first = pool.run(crash);
    const queued = pool.run(good);
    await expect(first).rejects.toThrow(
      /a trial worker stopped \(exit code 3\) while running quadratic, crashSgd, seed 0/,
    );
    await expect(queued).rejects.toThrow(/a trial worker stopped/);
    await expect(pool.run(good)).rejects.toThrow(/a trial worker stopped/);
    await pool.close();
  });

  it('starts workers from the sources through tsx, with the package tsconfig', () => {
    const { file, execArgv, env } = workerCommand();
    expect(file).toMatch(/packages[\\/]cli[\\/]src[\\/]cli\.ts$/);
    expect(execArgv.join(' ')).toMatch(/tsx/);
    expect(env.TSX_TSCONFIG_PATH).toMatch(/tsconfig\.json$/);
  });
});

describe('nabla __trial', () => {
  it('answers each request line with one result line, and stops at a line that is not one', async () => {
    const [def] = definitions();
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      cwd: process.cwd(),
    };
    const input = Readable.from([`${JSON.stringify({ id: 7, definition: def, plugins: [] })}\n`, '\n', 'not json\n']);
    expect(await trialWorker(input, io)).toBe(2);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(TRIAL_LINE)).toBe(true);
    const answer = JSON.parse(lines[0].slice(TRIAL_LINE.length));
    expect(answer.id).toBe(7);
    expect(answer.result.run.seed).toBe(0);
    expect(stderr).toMatch(/^nabla __trial: not a trial request: /);
  });

  it('writes NaN and the infinities as strings and reads them back', () => {
    const value = { a: Number.NaN, b: [Number.POSITIVE_INFINITY, -Infinity, 1.5], c: null, d: 'lr' };
    const text = encodeTrialJson(value);
    expect(text).toBe('{"a":"NaN","b":["Infinity","-Infinity",1.5],"c":null,"d":"lr"}');
    expect(reviveNumbers(JSON.parse(text))).toEqual(value);
  });
});
