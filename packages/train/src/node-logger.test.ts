import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, randn, type Tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { afterAll, describe, expect, it } from 'vitest';
import { fit } from './fit';
import { appendFileWriter, csvFileLogger, jsonLinesFileLogger } from './node-logger';
import type { TrainPlugin } from './types';

const root = mkdtempSync(join(tmpdir(), 'nabla-log-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const gen = new Generator(9);
const x = randn([8, 2], { generator: gen });
const y = randn([8, 1], { generator: gen });

function train(plugins: TrainPlugin[], epochs = 2) {
  const model = new Linear(2, 1, { generator: new Generator(0) });
  const steps: number[] = [];
  const spy: TrainPlugin = { name: 'spy', batchEnd: (ctx) => void steps.push(ctx.globalStep) };
  return {
    steps,
    run: fit({
      model,
      data: { x, y },
      batchSize: 4,
      loss: (out: Tensor, t: Tensor) => mseLoss(out, t),
      optimizer: sgd(model.parameters(), { lr: 0.05 }),
      epochs,
      plugins: [spy, ...plugins],
    }),
  };
}

const lines = (path: string) => readFileSync(path, 'utf8').split('\n');

describe('csvFileLogger', () => {
  it('starts the file afresh and writes the header and one line per epoch', async () => {
    const path = join(root, 'sub', 'dir', 'log.csv');
    const { run } = train([csvFileLogger(path)]);
    const { history } = await run;
    const text = lines(path);
    expect(text).toHaveLength(4);
    expect(text[3]).toBe('');
    expect(text[0]).toBe('epoch,epochTime,loss,lr,stepsPerSecond');
    expect(text[2].split(',')[2]).toBe(String(history[1].loss));
    await train([csvFileLogger(path)], 1).run;
    expect(lines(path)).toHaveLength(3);
  });

  it('appends under the existing header, cutting a line left incomplete by a crash', async () => {
    const path = join(root, 'resume.csv');
    writeFileSync(path, 'epoch,loss,custom\n0,0.5,1\n1,0.4'); // the crash cut the row of epoch 1
    const { run } = train([csvFileLogger(path, { append: true })]);
    const { history } = await run;
    const text = lines(path);
    expect(text.slice(0, 2)).toEqual(['epoch,loss,custom', '0,0.5,1']);
    expect(text[2]).toBe(`0,${String(history[0].loss)},NA`);
    expect(text[3]).toBe(`1,${String(history[1].loss)},NA`);
    expect(text).toHaveLength(5);
  });

  it('fails when training starts, before any step, for a path it cannot write', async () => {
    const file = join(root, 'plain-file');
    writeFileSync(file, 'x');
    const { run, steps } = train([csvFileLogger(join(file, 'log.csv'))]);
    await expect(run).rejects.toThrow(
      /^csvFileLogger: cannot write the log file .*plain-file\/log\.csv: EEXIST: file already exists, mkdir .*plain-file/,
    );
    expect(steps).toEqual([]);
  });
});

describe('jsonLinesFileLogger and appendFileWriter', () => {
  it('writes JSON lines per epoch and per batch, and appends on resume', async () => {
    const path = join(root, 'log.jsonl');
    const { run } = train([jsonLinesFileLogger(path, { batches: true })]);
    const { history } = await run;
    const records = lines(path)
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(2 * 2 + 2);
    expect(records[2]).toMatchObject({ epoch: 0, loss: history[0].loss });
    expect(records[0]).toEqual({ epoch: 0, batch: 0, step: 1, loss: expect.any(Number) });

    writeFileSync(path, `${JSON.stringify({ epoch: 0, loss: 1 })}\n{"epoch":1,"lo`);
    await train([jsonLinesFileLogger(path, { append: true, fsync: true })], 1).run;
    const after = lines(path);
    expect(after[0]).toBe('{"epoch":0,"loss":1}');
    expect(JSON.parse(after[1]).epoch).toBe(0);
    expect(after).toHaveLength(3);
  });

  it('appends whole lines without truncating', () => {
    const path = join(root, 'append.txt');
    writeFileSync(path, 'first\n');
    const writer = appendFileWriter(path);
    writer.write('second\n');
    writer.write('third\n');
    expect(readFileSync(path, 'utf8')).toBe('first\nsecond\nthird\n');
    expect(() => appendFileWriter('')).toThrow(/appendFileWriter: path must be a non-empty string/);
  });
});
