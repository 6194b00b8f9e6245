import { manualSeed, type Tensor, tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../batches';
import { fit } from '../fit';
import { formatDuration, formatValue, progressBar } from './progress-bar';

function data(n: number): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < n; i++) out.push([tensor([[i / n]]), tensor([[1]])] as [Tensor, Tensor]);
  return out;
}

async function run(isTTY: boolean, batches = 4, epochs = 2) {
  manualSeed(0);
  const model = new Linear(1, 1);
  const written: string[] = [];
  let clock = 0;
  const bar = progressBar({
    stream: { write: (s: string) => void written.push(s), isTTY },
    refreshMs: 0,
    now: () => {
      clock += 250;
      return clock;
    },
  });
  const result = await fit({
    model,
    data: data(batches),
    validation: data(2),
    loss: mseLoss,
    optimizer: sgd(model.parameters(), { lr: 0.1 }),
    epochs,
    plugins: [bar],
  });
  return { written, result };
}

describe('progressBar', () => {
  it('off a TTY writes exactly one line per epoch with the epoch logs', async () => {
    const { written, result } = await run(false);
    expect(written).toHaveLength(2);
    expect(written[0]).toMatch(/^Epoch 1\/2 · loss \d\.\d{3,} · lr 0\.1000 · valLoss \d\.\d{3,} · \d+m?s\n$/);
    expect(written[1].startsWith('Epoch 2/2 · ')).toBe(true);
    expect(written[1]).toContain(`loss ${formatValue(result.history[1].loss)}`);
    expect(written.join('')).not.toContain('\r');
  });

  it('on a TTY redraws a live bar with \\r: epoch, batch, running loss, throughput and ETA', async () => {
    const { written } = await run(true);
    const live = written.filter((s) => s.startsWith('\r') && s.includes('Epoch'));
    expect(live).toHaveLength(8);
    expect(live[0]).toMatch(/^\rEpoch 1\/2 \[======>\.{17}\] 1\/4 · loss \S+ · \d+\.\d it\/s · ETA \d+s/);
    expect(live[3]).toMatch(/^\rEpoch 1\/2 \[={24}\] 4\/4 · loss \S+ · \d+\.\d it\/s · ETA 0s/);
    // the bar is cleared before the epoch summary, which ends with a newline
    const summary = written.findIndex((s) => s.startsWith('Epoch 1/2 · loss'));
    expect(summary).toBeGreaterThan(written.indexOf(live[3]));
    expect(written[summary - 1]).toMatch(/^\r +\r$/);
    expect(written[summary].endsWith('\n')).toBe(true);
  });

  it('throttles redraws but always draws the last batch', async () => {
    manualSeed(0);
    const model = new Linear(1, 1);
    const written: string[] = [];
    await fit({
      model,
      data: data(10),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 1,
      plugins: [
        progressBar({
          stream: { write: (s: string) => void written.push(s), isTTY: true },
          refreshMs: 1e9,
          now: () => 5,
        }),
      ],
    });
    const live = written.filter((s) => s.startsWith('\rEpoch'));
    expect(live.map((s) => /(\d+)\/10/.exec(s)?.[1])).toEqual(['1', '10']);
  });

  it('reports why training stopped', async () => {
    manualSeed(0);
    const model = new Linear(1, 1);
    const written: string[] = [];
    await fit({
      model,
      data: data(2),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 3,
      plugins: [
        progressBar({ stream: { write: (s: string) => void written.push(s) } }),
        { name: 'stop', epochEnd: (ctx) => ctx.stopTraining('done early') },
      ],
    });
    expect(written.at(-1)).toBe('Stopped: done early\n');
  });

  it('formats durations and values, and rejects bad options', () => {
    expect([formatDuration(4.4), formatDuration(187), formatDuration(3725), formatDuration(Number.NaN)]).toEqual([
      '4s',
      '3m07s',
      '1h02m',
      '?',
    ]);
    expect([formatValue(0.123456), formatValue(3), formatValue(1.5e-5), formatValue(Number.NaN)]).toEqual([
      '0.1235',
      '3',
      '1.500e-5',
      'NaN',
    ]);
    expect(() => progressBar({ width: 0 })).toThrow(/progressBar: width must be a positive integer, got 0/);
    expect(() => progressBar({ stream: {} as never })).toThrow(/progressBar: stream must have a write\(text\) method/);
  });
});
