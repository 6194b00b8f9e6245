import { Generator, manualSeed, type Tensor, tensor } from '@nablajs/core';
import { crossEntropy, Linear, mseLoss, ReLU, Sequential } from '@nablajs/nn';
import { definePlugin } from '@nablajs/optim';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import type { Batch } from './batches';
import type { LoopContext } from './context';
import { fit } from './fit';
import { TRAIN_EVENTS, type TrainContext, type TrainEvent, type TrainPlugin } from './types';

/** A plugin that records every event it sees, as `event` or `event:epoch:batch` for batch events. */
function spy(events: string[] = [], withIndices = false): TrainPlugin & { events: string[] } {
  const plugin: Record<string, unknown> = { name: 'spy', events };
  for (const event of TRAIN_EVENTS)
    plugin[event] = (ctx: TrainContext) => {
      events.push(withIndices ? `${event}:${ctx.epoch}:${ctx.batch}` : event);
    };
  return plugin as unknown as TrainPlugin & { events: string[] };
}

/** y = 2x + 1 at n evenly spaced points in [-1, 1]. */
function line(n: number): { x: Tensor; y: Tensor } {
  const xs = Array.from({ length: n }, (_, i) => (n === 1 ? 0 : -1 + (2 * i) / (n - 1)));
  return { x: tensor(xs.map((v) => [v])), y: tensor(xs.map((v) => [2 * v + 1])) };
}

function batchesOf(data: { x: Tensor; y: Tensor }, size: number): Batch[] {
  const n = data.x.shape[0];
  const out: Batch[] = [];
  for (let s = 0; s < n; s += size) {
    const e = Math.min(s + size, n);
    out.push([data.x.slice([[s, e]]), data.y.slice([[s, e]])]);
  }
  return out;
}

function linear(seed = 0): Linear {
  manualSeed(seed);
  return new Linear(1, 1);
}

const PER_BATCH: TrainEvent[] = [
  'batchStart',
  'afterForward',
  'beforeBackward',
  'afterBackward',
  'beforeStep',
  'step',
  'afterStep',
  'batchEnd',
];

describe('fit: event order', () => {
  it('fires the exact sequence for 2 epochs of 3 batches with validation', async () => {
    const model = linear();
    const s = spy();
    await fit({
      model,
      data: batchesOf(line(6), 2),
      validation: batchesOf(line(4), 2),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 2,
      plugins: [s],
    });
    const epoch = [
      'epochStart',
      ...PER_BATCH,
      ...PER_BATCH,
      ...PER_BATCH,
      'validationStart',
      'validationEnd',
      'epochEnd',
    ];
    expect(s.events).toEqual(['trainStart', ...epoch, ...epoch, 'trainEnd']);
  });

  it('reports epoch and batch indices and the batch count', async () => {
    const model = linear();
    const seen: string[] = [];
    const counts: (number | null)[] = [];
    await fit({
      model,
      data: batchesOf(line(6), 3),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 2,
      plugins: [
        {
          name: 'indices',
          batchEnd: (ctx) => {
            seen.push(`${ctx.epoch}.${ctx.batch}@${ctx.globalStep}`);
            counts.push(ctx.batchesPerEpoch);
          },
        },
      ],
    });
    expect(seen).toEqual(['0.0@1', '0.1@2', '1.0@3', '1.1@4']);
    expect(counts).toEqual([2, 2, 2, 2]);
  });

  it('runs handlers in plugin order after the built-in optimizer step, awaiting async ones', async () => {
    const model = linear();
    const order: string[] = [];
    const opt = sgd(model.parameters(), { lr: 0.1 });
    opt.onAfterStep(() => order.push('optimizer'));
    const slow: TrainPlugin = {
      name: 'slow',
      async step() {
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push('slow');
      },
    };
    const fast: TrainPlugin = { name: 'fast', step: () => void order.push('fast') };
    await fit({ model, data: batchesOf(line(2), 2), loss: mseLoss, optimizer: opt, epochs: 1, plugins: [slow, fast] });
    expect(order).toEqual(['optimizer', 'slow', 'fast']);
  });

  it('sets training mode for the batches and eval mode with no gradients for validation', async () => {
    const model = linear();
    const modes: string[] = [];
    const validationGrad: boolean[] = [];
    const original = model.forward.bind(model);
    model.forward = (x: Tensor) => {
      const out = original(x);
      validationGrad.push(out.requiresGrad);
      return out;
    };
    await fit({
      model,
      data: batchesOf(line(2), 2),
      validation: batchesOf(line(2), 2),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 1,
      plugins: [
        {
          name: 'modes',
          batchStart: () => void modes.push(`batch:${model.training}`),
          validationStart: () => void modes.push(`validation:${model.training}`),
        },
      ],
    });
    expect(modes).toEqual(['batch:true', 'validation:false']);
    expect(validationGrad).toEqual([true, false]);
    expect(model.training).toBe(true);
  });
});

describe('fit: batching of { x, y } data', () => {
  for (const [batchSize, steps] of [
    [1, 10],
    [4, 3],
    [10, 1],
    ['full', 1],
    [undefined, 1],
    [25, 1],
  ] as const) {
    it(`batchSize ${String(batchSize)} takes ${steps} steps per epoch`, async () => {
      const model = linear();
      const sizes: number[] = [];
      let globalStep = 0;
      await fit({
        model,
        data: line(10),
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.01 }),
        epochs: 2,
        batchSize,
        plugins: [
          {
            name: 'count',
            batchStart: (ctx) => void sizes.push(ctx.inputs?.shape[0] ?? -1),
            trainEnd: (ctx) => {
              globalStep = ctx.globalStep;
            },
          },
        ],
      });
      expect(globalStep).toBe(2 * steps);
      expect(sizes.length).toBe(2 * steps);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(20);
    });
  }

  it('visits every sample once per epoch in a seeded shuffled order, reshuffled each epoch', async () => {
    const x = tensor([[0], [1], [2], [3], [4], [5]]);
    const data = { x, y: x.clone() };
    const run = async (seed: number) => {
      const order: number[][] = [];
      const model = linear();
      await fit({
        model,
        data,
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0 }),
        epochs: 2,
        batchSize: 2,
        generator: new Generator(seed),
        plugins: [
          {
            name: 'order',
            epochStart: () => void order.push([]),
            batchStart: (ctx) => void order.at(-1)?.push(...Array.from(ctx.inputs?.data ?? [])),
          },
        ],
      });
      return order;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    for (const epoch of a) expect([...epoch].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a[0]).not.toEqual(a[1]);
    expect(a[0]).not.toEqual([0, 1, 2, 3, 4, 5]);
    expect(await run(8)).not.toEqual(a);
  });

  it('keeps the sample order with shuffle: false', async () => {
    const x = tensor([[0], [1], [2], [3], [4]]);
    const seen: number[] = [];
    const model = linear();
    await fit({
      model,
      data: { x, y: x },
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0 }),
      epochs: 1,
      batchSize: 2,
      shuffle: false,
      plugins: [{ name: 'order', batchStart: (ctx) => void seen.push(...Array.from(ctx.inputs?.data ?? [])) }],
    });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('fit: training', () => {
  it('fits y = 2x + 1 with Linear(1, 1) and SGD: the loss decreases and the parameters converge', async () => {
    const model = linear(3);
    const { history, stopReason } = await fit({
      model,
      data: line(20),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 60,
      batchSize: 5,
      generator: new Generator(1),
    });
    expect(stopReason).toBeNull();
    expect(history).toHaveLength(60);
    expect(history[59].loss).toBeLessThan(history[0].loss / 100);
    for (let i = 5; i < 60; i += 5) expect(history[i].loss).toBeLessThan(history[i - 5].loss);
    expect(model.weight.data[0]).toBeCloseTo(2, 3);
    expect(model.bias?.data[0]).toBeCloseTo(1, 3);
    expect(history[59].lr).toBe(0.1);
    expect(history[59].epochTime).toBeGreaterThanOrEqual(0);
    expect(history[59].stepsPerSecond).toBeGreaterThan(0);
  });

  it('logs the epoch loss as the mean over batches weighted by batch size', async () => {
    const model = linear();
    const data = line(4);
    const full = mseLoss(model.forward(data.x), data.y).item();
    const { history } = await fit({
      model,
      data: [
        [data.x.slice([[0, 3]]), data.y.slice([[0, 3]])],
        [data.x.slice([[3, 4]]), data.y.slice([[3, 4]])],
      ],
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0 }),
      epochs: 1,
    });
    expect(history[0].loss).toBeCloseTo(full, 6);
  });

  it('logs valLoss and validation metrics computed on the validation data', async () => {
    manualSeed(0);
    const model = new Sequential(new Linear(2, 3));
    const x = tensor([
      [1, 0],
      [0, 1],
      [1, 1],
      [-1, 0],
    ]);
    const y = tensor([0, 1, 2, 0], { dtype: 'int32' });
    const { history } = await fit({
      model,
      data: { x, y },
      validation: { x, y },
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), { lr: 0.5 }),
      epochs: 1,
      metrics: { accuracy: true },
    });
    const after = crossEntropy(model.forward(x), y).item();
    const predicted = Array.from(model.forward(x).argmax(1).data);
    const acc = predicted.filter((c, i) => c === y.data[i]).length / 4;
    expect(history[0].valLoss).toBeCloseTo(after, 6);
    expect(history[0].valAccuracy).toBe(acc);
    expect(Object.keys(history[0]).sort()).toEqual(
      ['accuracy', 'epochTime', 'loss', 'lr', 'stepsPerSecond', 'valAccuracy', 'valLoss'].sort(),
    );
  });

  it('is deterministic: the same seeds give the same history twice', async () => {
    const run = async () => {
      manualSeed(42);
      const model = new Sequential(new Linear(1, 8), new ReLU(), new Linear(8, 1));
      const { history } = await fit({
        model,
        data: line(16),
        validation: line(5),
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.05, momentum: 0.9 }),
        epochs: 5,
        batchSize: 4,
        generator: new Generator(9),
      });
      return history.map(({ epochTime: _t, stepsPerSecond: _s, ...rest }) => rest);
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a[4].loss).toBeLessThan(a[0].loss);
  });

  it('trains with a custom update rule on step and optimizer: null as well as sgd', async () => {
    const lr = 0.1;
    const byRule = linear(5);
    const plainSgd: TrainPlugin = {
      name: 'plain-sgd',
      step(ctx) {
        if (ctx.stepSkipped) return;
        for (const p of ctx.model.parameters()) {
          const g = p.grad;
          if (g === null) continue;
          for (let i = 0; i < p.data.length; i++) p.data[i] -= lr * g.data[i];
        }
      },
    };
    const custom = await fit({
      model: byRule,
      data: line(12),
      loss: mseLoss,
      optimizer: null,
      epochs: 30,
      batchSize: 4,
      generator: new Generator(2),
      plugins: [plainSgd],
    });
    const bySgd = linear(5);
    const reference = await fit({
      model: bySgd,
      data: line(12),
      loss: mseLoss,
      optimizer: sgd(bySgd.parameters(), { lr }),
      epochs: 30,
      batchSize: 4,
      generator: new Generator(2),
    });
    expect(custom.history[29].loss).toBeLessThan(custom.history[0].loss / 100);
    expect(custom.history[29].loss).toBeCloseTo(reference.history[29].loss, 6);
    expect(byRule.weight.data[0]).toBeCloseTo(bySgd.weight.data[0], 5);
    expect(custom.history[0].lr).toBeUndefined();
  });
});

describe('fit: plugins change the run', () => {
  it('stops training after the current batch; validation and epochEnd still run for that epoch', async () => {
    const model = linear();
    const s = spy([], true);
    const result = await fit({
      model,
      data: batchesOf(line(6), 2),
      validation: batchesOf(line(2), 2),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 5,
      plugins: [
        {
          name: 'stopper',
          afterStep: (ctx) => {
            if (ctx.epoch === 1 && ctx.batch === 0) ctx.stopTraining('enough at 1.0');
          },
        },
        s,
      ],
    });
    expect(result.stopReason).toBe('enough at 1.0');
    expect(result.history).toHaveLength(2);
    expect(result.history[1].valLoss).toBeGreaterThanOrEqual(0);
    expect(s.events.slice(-5)).toEqual([
      'batchEnd:1:0',
      'validationStart:1:0',
      'validationEnd:1:0',
      'epochEnd:1:0',
      'trainEnd:1:0',
    ]);
  });

  it('keeps the first stop reason and logs it', async () => {
    const model = linear();
    const messages: string[] = [];
    const result = await fit({
      model,
      data: batchesOf(line(2), 2),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 3,
      log: (m) => void messages.push(m),
      plugins: [
        {
          name: 'twice',
          batchEnd: (ctx) => {
            ctx.stopTraining('first');
            ctx.stopTraining('second');
          },
        },
      ],
    });
    expect(result.stopReason).toBe('first');
    expect(messages).toEqual(['fit: stopped at epoch 0: first']);
  });

  it('runs no epoch when a plugin stops at trainStart', async () => {
    const model = linear();
    const before = model.weight.data[0];
    const s = spy();
    const result = await fit({
      model,
      data: line(4),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 3,
      plugins: [{ name: 'no', trainStart: (ctx) => ctx.stopTraining('not today') }, s],
    });
    expect(result).toEqual({ history: [], stopReason: 'not today' });
    expect(s.events).toEqual(['trainStart', 'trainEnd']);
    expect(model.weight.data[0]).toBe(before);
  });

  it('skips steps: the parameters stay and globalStep does not advance', async () => {
    const model = linear();
    const before = Array.from(model.weight.data);
    let globalStep = -1;
    const { history } = await fit({
      model,
      data: line(4),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 2,
      batchSize: 2,
      plugins: [
        { name: 'skip', beforeStep: (ctx) => ctx.skipStep() },
        {
          name: 'read',
          afterStep: (ctx) => {
            expect(ctx.stepSkipped).toBe(true);
          },
          trainEnd: (ctx) => {
            globalStep = ctx.globalStep;
          },
        },
      ],
    });
    expect(Array.from(model.weight.data)).toEqual(before);
    expect(globalStep).toBe(0);
    expect(history[1].loss).toBe(history[0].loss);
    expect(history[0].stepsPerSecond).toBe(0);
  });

  it('lets a plugin change the learning rate; history logs it', async () => {
    const model = linear();
    const opt = sgd(model.parameters(), { lr: 0.1 });
    let frozen: number[] = [];
    const { history } = await fit({
      model,
      data: line(4),
      loss: mseLoss,
      optimizer: opt,
      epochs: 3,
      plugins: [
        {
          name: 'freeze',
          epochStart: (ctx) => {
            if (ctx.epoch === 1) {
              (ctx.optimizer as typeof opt).paramGroups[0].lr = 0;
              frozen = Array.from(model.weight.data);
            }
          },
          epochEnd: (ctx) => {
            if (ctx.epoch === 1) expect(Array.from(model.weight.data)).toEqual(frozen);
          },
        },
      ],
    });
    expect(history.map((h) => h.lr)).toEqual([0.1, 0, 0]);
  });

  it('keeps logs that plugins add to epochLogs; zeroes gradients before every backward', async () => {
    const model = linear();
    const grads: number[] = [];
    const { history } = await fit({
      model,
      data: [
        [tensor([[1]]), tensor([[0]])],
        [tensor([[1]]), tensor([[0]])],
      ],
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0 }),
      epochs: 1,
      plugins: [
        {
          name: 'extra',
          afterBackward: () => void grads.push(model.weight.grad?.data[0] ?? Number.NaN),
          epochEnd: (ctx) => {
            ctx.epochLogs.answer = 42;
          },
        },
      ],
    });
    expect(history[0].answer).toBe(42);
    expect(grads[1]).toBe(grads[0]);
  });

  it('exposes the run plugins on the context, built-ins first', async () => {
    const model = linear();
    let names: string[] = [];
    const reader: TrainPlugin = {
      name: 'reader',
      trainStart: (ctx) => {
        names = (ctx as LoopContext).plugins.map((p) => p.name);
      },
    };
    await fit({
      model,
      data: line(2),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 1,
      metrics: { custom: { zero: () => 0 } },
      plugins: [reader, definePlugin({ name: 'opt-plugin', optimizers: {} })],
    });
    expect(names).toEqual(['metrics', 'optimizerStep', 'reader']);
  });

  it('starts at initialEpoch and initialStep', async () => {
    const model = linear();
    const epochs: number[] = [];
    let firstStep = -1;
    const { history } = await fit({
      model,
      data: line(4),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 5,
      initialEpoch: 3,
      initialStep: 100,
      plugins: [
        {
          name: 'where',
          epochStart: (ctx) => void epochs.push(ctx.epoch),
          batchStart: (ctx) => {
            if (firstStep < 0) firstStep = ctx.globalStep;
          },
        },
      ],
    });
    expect(epochs).toEqual([3, 4]);
    expect(firstStep).toBe(100);
    expect(history).toHaveLength(2);
  });

  it('sets up optimizer plugins with the event API and tears them down at the end', async () => {
    const model = linear();
    const seen: string[] = [];
    let tornDown = 0;
    const plugin = definePlugin({
      name: 'listening-plugin',
      optimizers: {},
      setup(events) {
        events.on('epochEnd', (payload) => void seen.push(`epochEnd:${(payload as TrainContext).epoch}`));
        return () => {
          tornDown++;
        };
      },
    });
    await fit({
      model,
      data: line(4),
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 2,
      plugins: [plugin],
    });
    expect(seen).toEqual(['epochEnd:0', 'epochEnd:1']);
    expect(tornDown).toBe(1);
  });

  it('tears plugins down when a handler throws, and rethrows', async () => {
    const model = linear();
    let tornDown = 0;
    const plugin = definePlugin({
      name: 'torn',
      optimizers: {},
      setup: () => () => {
        tornDown++;
      },
    });
    await expect(
      fit({
        model,
        data: line(4),
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 2,
        plugins: [
          plugin,
          {
            name: 'boom',
            batchEnd: () => {
              throw new Error('boom');
            },
          },
        ],
      }),
    ).rejects.toThrow('boom');
    expect(tornDown).toBe(1);
  });
});

describe('fit: bad input throws before any step', () => {
  const cases: [string, (model: Linear) => Parameters<typeof fit>[0], RegExp][] = [
    [
      'x and y sample counts differ',
      (model) => ({
        model,
        data: { x: tensor([[1], [2], [3]]), y: tensor([[1], [2]]) },
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 1,
      }),
      /fit: data\.x has 3 samples but data\.y has 2 \(shapes \[3,1\] and \[2,1\]\)/,
    ],
    [
      'validation sample counts differ',
      (model) => ({
        model,
        data: line(4),
        validation: { x: tensor([[1], [2]]), y: tensor([[1]]) },
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 1,
      }),
      /fit: validation\.x has 2 samples but validation\.y has 1/,
    ],
    [
      'a batch whose inputs and targets differ',
      (model) => ({
        model,
        data: [
          [tensor([[1], [2]]), tensor([[1], [2]])],
          [tensor([[1], [2]]), tensor([[1]])],
        ],
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 1,
      }),
      /fit: batch 1 of data has 2 inputs but 1 targets/,
    ],
    [
      'empty tensor data',
      (model) => ({
        model,
        data: { x: tensor([]).reshape([0, 1]), y: tensor([]).reshape([0, 1]) },
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 1,
      }),
      /fit: data is empty/,
    ],
    [
      'an empty array of batches',
      (model) => ({ model, data: [], loss: mseLoss, optimizer: sgd(model.parameters(), { lr: 0.1 }), epochs: 1 }),
      /fit: data is empty \(no batches\)/,
    ],
    [
      'batchSize 0',
      (model) => ({
        model,
        data: line(4),
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 1,
        batchSize: 0,
      }),
      /fit: batchSize must be a positive integer or 'full', got 0/,
    ],
    [
      'epochs 0',
      (model) => ({ model, data: line(4), loss: mseLoss, optimizer: sgd(model.parameters(), { lr: 0.1 }), epochs: 0 }),
      /fit: epochs must be an integer >= 1, got 0/,
    ],
    [
      'epochs 2.5',
      (model) => ({
        model,
        data: line(4),
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 2.5,
      }),
      /fit: epochs must be an integer >= 1, got 2.5/,
    ],
    [
      'initialEpoch past epochs',
      (model) => ({
        model,
        data: line(4),
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 2,
        initialEpoch: 3,
      }),
      /fit: initialEpoch \(3\) is past the last epoch/,
    ],
    [
      'batchSize with already batched data',
      (model) => ({
        model,
        data: batchesOf(line(4), 2),
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 1,
        batchSize: 2,
      }),
      /fit: batchSize applies to \{ x, y \} data only/,
    ],
    [
      'no optimizer and no step plugin',
      (model) => ({ model, data: line(4), loss: mseLoss, optimizer: null, epochs: 1 }),
      /fit: optimizer is null and no plugin handles 'step'/,
    ],
    [
      'a missing optimizer',
      (model) => ({ model, data: line(4), loss: mseLoss, epochs: 1 }) as unknown as Parameters<typeof fit>[0],
      /fit: optimizer is required; pass null/,
    ],
    [
      'a Keras-style handler name',
      (model) => ({
        model,
        data: line(4),
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 1,
        plugins: [{ name: 'keras', onEpochEnd: () => {} } as unknown as TrainPlugin],
      }),
      /fit: plugin 'keras' has a handler 'onEpochEnd'; name it 'epochEnd'/,
    ],
    [
      'a plugin without a name',
      (model) => ({
        model,
        data: line(4),
        loss: mseLoss,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 1,
        plugins: [{ batchEnd: () => {} } as unknown as TrainPlugin],
      }),
      /fit: plugins\[0\] needs a non-empty string name/,
    ],
    [
      'a model without forward',
      () =>
        ({ model: {}, data: line(4), loss: mseLoss, optimizer: null, epochs: 1 }) as unknown as Parameters<
          typeof fit
        >[0],
      /fit: model has no forward\(\) method/,
    ],
  ];

  for (const [what, make, message] of cases)
    it(`rejects ${what}`, async () => {
      const model = linear();
      const before = Array.from(model.weight.data);
      await expect(fit(make(model))).rejects.toThrow(message);
      expect(Array.from(model.weight.data)).toEqual(before);
    });

  it('rejects labels out of range at the first forward, before any step', async () => {
    manualSeed(0);
    const model = new Linear(2, 3);
    const before = Array.from(model.weight.data);
    let steps = 0;
    await expect(
      fit({
        model,
        data: { x: tensor([[1, 2]]), y: tensor([7], { dtype: 'int32' }) },
        loss: crossEntropy,
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 1,
        plugins: [{ name: 'count', step: () => void steps++ }],
      }),
    ).rejects.toThrow(/crossEntropy: target 7 is out of range for 3 classes/);
    expect(steps).toBe(0);
    expect(Array.from(model.weight.data)).toEqual(before);
  });

  it('rejects a non-scalar loss naming its shape', async () => {
    const model = linear();
    await expect(
      fit({
        model,
        data: line(3),
        loss: (o, t) => mseLoss(o, t, { reduction: 'none' }),
        optimizer: sgd(model.parameters(), { lr: 0.1 }),
        epochs: 1,
      }),
    ).rejects.toThrow(/fit: the loss must be a scalar, got shape \[3,1\]; use reduction 'mean' or 'sum'/);
  });

  it('rejects an iterable that yields no batches', async () => {
    const model = linear();
    const empty: Iterable<Batch> = { *[Symbol.iterator]() {} };
    await expect(
      fit({ model, data: empty, loss: mseLoss, optimizer: sgd(model.parameters(), { lr: 0.1 }), epochs: 1 }),
    ).rejects.toThrow(/fit: data is empty \(it yielded no batches\)/);
  });

  it('does not mutate the caller tensors', async () => {
    const data = line(6);
    const x = Array.from(data.x.data);
    const y = Array.from(data.y.data);
    const model = linear();
    await fit({ model, data, loss: mseLoss, optimizer: sgd(model.parameters(), { lr: 0.1 }), epochs: 2, batchSize: 2 });
    expect(Array.from(data.x.data)).toEqual(x);
    expect(Array.from(data.y.data)).toEqual(y);
  });
});
