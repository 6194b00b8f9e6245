import { Generator, randn, type Tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import { fit } from './fit';
import { csvLogger, jsonLinesLogger, type LogWriter, memoryWriter } from './logger';
import type { TrainPlugin } from './types';

const gen = new Generator(5);
const x = randn([12, 2], { generator: gen });
const y = randn([12, 1], { generator: gen });

function train(plugins: TrainPlugin[], epochs = 3) {
  const model = new Linear(2, 1, { generator: new Generator(0) });
  return fit({
    model,
    data: { x, y },
    batchSize: 4,
    shuffle: false,
    loss: (out: Tensor, t: Tensor) => mseLoss(out, t),
    optimizer: sgd(model.parameters(), { lr: 0.05 }),
    epochs,
    plugins,
  });
}

/** A plugin that adds a custom metric to the epoch logs: NaN at epoch 1, and a late key from epoch 2 on. */
const extra: TrainPlugin = {
  name: 'extra',
  epochEnd(ctx) {
    ctx.epochLogs.custom = ctx.epoch === 1 ? Number.NaN : ctx.epoch * 0.1;
    if (ctx.epoch === 2) ctx.epochLogs.late = 1;
  },
};

describe('csvLogger', () => {
  it('writes a header of epoch and sorted keys, then one exact row per epoch (Keras CSVLogger)', async () => {
    const writer = memoryWriter();
    const { history } = await train([extra, csvLogger(writer)]);
    expect(writer.lines[0]).toBe('epoch,custom,epochTime,loss,lr,stepsPerSecond');
    expect(writer.lines).toHaveLength(4);
    history.forEach((h, epoch) => {
      const cells = writer.lines[epoch + 1].split(',');
      expect(cells[0]).toBe(String(epoch));
      expect(Number(cells[3])).toBe(h.loss); // exact: the shortest round-trip decimal
      expect(cells[3]).toBe(String(h.loss));
      expect(Number(cells[4])).toBe(0.05);
    });
    expect(writer.lines[2].split(',')[1]).toBe('NaN');
    expect(writer.lines[3].split(',')[1]).toBe(String(2 * 0.1));
    expect(writer.lines.join('\n')).not.toContain('late'); // columns are fixed by the first row
  });

  it('writes NA for a missing value, quotes awkward column names, and takes fixed columns', async () => {
    const writer = memoryWriter();
    const odd: TrainPlugin = {
      name: 'odd',
      epochEnd(ctx) {
        if (ctx.epoch === 0) ctx.epochLogs['a;b "q"'] = 1;
      },
    };
    await train([odd, csvLogger(writer, { separator: ';', columns: ['loss', 'a;b "q"', 'absent'] })], 2);
    expect(writer.lines[0]).toBe('epoch;loss;"a;b ""q""";absent');
    expect(writer.lines[1]).toMatch(/^0;[0-9.e-]+;1;NA$/);
    expect(writer.lines[2]).toMatch(/^1;[0-9.e-]+;NA;NA$/);
  });

  it('logs every batch with batches: true, and can skip the header', async () => {
    const writer = memoryWriter();
    const losses: number[] = [];
    const spy: TrainPlugin = { name: 'spy', batchEnd: (ctx) => void losses.push(ctx.batchLogs.loss) };
    await train([spy, csvLogger(writer, { batches: true })], 2);
    expect(writer.lines[0]).toBe('epoch,batch,step,loss');
    expect(writer.lines.slice(1)).toEqual(
      losses.map((loss, i) => `${Math.floor(i / 3)},${i % 3},${i + 1},${String(loss)}`),
    );
    const headless = memoryWriter();
    await train([csvLogger(headless, { header: false })], 1);
    expect(headless.lines).toHaveLength(1);
    expect(headless.lines[0]).toMatch(/^0,/);
  });

  it('awaits an asynchronous writer in order and closes it at the end', async () => {
    const events: string[] = [];
    const slow: LogWriter = {
      async write(line) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        events.push(`write ${line.split(',')[0]}`);
      },
      close() {
        events.push('close');
      },
    };
    const order: TrainPlugin = { name: 'order', epochStart: (ctx) => void events.push(`start ${ctx.epoch}`) };
    await train([order, csvLogger(slow)], 2);
    expect(events).toEqual(['start 0', 'write epoch', 'start 1', 'write 1', 'close']);
  });

  it('checks its arguments', () => {
    expect(() => csvLogger({} as LogWriter)).toThrow(/csvLogger: writer must be an object with a write\(line\) method/);
    expect(() => csvLogger(memoryWriter(), { separator: '"' })).toThrow(
      /csvLogger: separator must be a non-empty string/,
    );
    expect(() => jsonLinesLogger(null as unknown as LogWriter)).toThrow(/jsonLinesLogger: writer must be an object/);
  });
});

describe('jsonLinesLogger', () => {
  it('writes one JSON object per epoch with every log, exact numbers, and NaN as a string', async () => {
    const writer = memoryWriter();
    const { history } = await train([extra, jsonLinesLogger(writer)]);
    const records = writer.lines.map((l) => JSON.parse(l));
    expect(records).toHaveLength(3);
    records.forEach((r, epoch) => {
      expect(r.epoch).toBe(epoch);
      expect(r.loss).toBe(history[epoch].loss);
      expect(r.lr).toBe(0.05);
    });
    expect(records[1].custom).toBe('NaN');
    expect(records[2].late).toBe(1);
    expect(Object.keys(records[0])[0]).toBe('epoch');
  });

  it('adds one line per batch with batches: true', async () => {
    const writer = memoryWriter();
    await train([jsonLinesLogger(writer, { batches: true })], 2);
    const records = writer.lines.map((l) => JSON.parse(l));
    expect(records).toHaveLength(2 * 3 + 2);
    expect(records[0]).toEqual({ epoch: 0, batch: 0, step: 1, loss: expect.any(Number) });
    expect(Object.keys(records[3])).toContain('stepsPerSecond');
    expect(records[7].epoch).toBe(1);
    expect(records[6]).toEqual({ epoch: 1, batch: 2, step: 6, loss: expect.any(Number) });
  });
});
