import { CaptureError, capture, getBackend, initWasmBackend, manualSeed, setBackend, type Tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { close, fixedWeights } from '../packages/core/src/capture-test-utils';
import type { Case } from './helpers/capture-nn-cases';
import { LAYER_CASES } from './helpers/capture-nn-layer-cases';
import { LOSS_CASES } from './helpers/capture-nn-loss-cases';

const CASES: Case[] = [...LAYER_CASES, ...LOSS_CASES];

// The layers and losses of @nablajs/nn, captured with their backward (gradients cleared inside the step) and
// replayed on new inputs, on the cpu and wasm backends: a replay must give, bit for bit, what a capture of
// the same step computes as it records (outputs, gradients of the parameters and inputs, buffers such as
// BatchNorm's running statistics), and that must be what eager code computes (to float32 rounding); or the
// capture must refuse the step with a CaptureError. What must never happen is a silently wrong replay.
// packages/core/src/capture-ops.test.ts does the same for the core ops.

/** What a step left: its outputs, the gradients of the parameters and of the inputs, and the buffers. */
interface Snapshot {
  outputs: number[][];
  grads: number[][];
  buffers: number[][];
}

const valuesOf = (t: Tensor | null): number[] => (t === null ? [] : Array.from(t.values, Number));

/** One instance of a case: its layer (built after the same seed) and the step function. */
function instance(c: Case, r: (shape: readonly number[]) => Tensor) {
  manualSeed(3);
  const { module, f } = c.build();
  const params = module?.parameters() ?? [];
  const buffers = module?.buffers() ?? [];
  const diff = c.diff ?? [0];
  const step = (...xs: Tensor[]): (Tensor | null)[] => {
    for (const p of params) p.grad = null;
    for (const i of diff) xs[i].grad = null;
    const result = f(...xs);
    const outs = Array.isArray(result) ? result : [result];
    let loss: Tensor | null = null;
    for (const o of outs) {
      if (o === null || !o.requiresGrad) continue;
      const term = o.mul(r(o.shape)).sum();
      loss = loss === null ? term : loss.add(term);
    }
    loss?.backward();
    return outs;
  };
  const snapshot = (outs: (Tensor | null)[], xs: Tensor[]): Snapshot => ({
    outputs: outs.map(valuesOf),
    grads: [...params.map((p) => valuesOf(p.grad)), ...diff.map((i) => valuesOf(xs[i].grad))],
    buffers: buffers.map(valuesOf),
  });
  /** Fresh copies of the inputs, those of `diff` requiring a gradient. */
  const copies = (xs: Tensor[]) => xs.map((x, i) => (diff.includes(i) ? x.clone().requiresGrad_() : x.clone()));
  return { step, snapshot, copies };
}

function closeAll(a: number[][], b: number[][]): boolean {
  return a.length === b.length && a.every((x, i) => close(x, b[i]));
}

/** The capture, then the replays: inputs 2, 1, 0, 2 (a stateful layer moves on at each step). */
const ORDER = [0, 2, 1, 0, 2];

function check(c: Case): void {
  const r = fixedWeights();
  const inputs = [0, 1, 2].map((k) => {
    manualSeed(10 + k);
    return c.inputs(k);
  });
  if (c.refused) {
    const { step, copies } = instance(c, r);
    expect(() => capture(step, copies(inputs[0]))).toThrow(CaptureError);
    const again = instance(c, r);
    expect(() => capture(again.step, again.copies(inputs[0]))).toThrow(/cannot/);
    return;
  }
  // Eager code, step after step on one layer.
  const eager = instance(c, r);
  const eagerSnaps = ORDER.map((k) => {
    const xs = eager.copies(inputs[k]);
    return eager.snapshot(eager.step(...xs), xs);
  });
  // What a capture computes as it records, step after step on one layer (a new capture each time): the
  // replays must give it to the bit.
  const fresh = instance(c, r);
  const expected = ORDER.map((k) => {
    const xs = fresh.copies(inputs[k]);
    const s = capture(fresh.step, xs);
    const snap = fresh.snapshot(s.outputs, xs);
    s.dispose();
    return snap;
  });
  expected.forEach((e, i) => {
    expect(closeAll(e.outputs, eagerSnaps[i].outputs), `outputs at capture, step ${i}`).toBe(true);
    expect(closeAll(e.grads, eagerSnaps[i].grads), `gradients at capture, step ${i}`).toBe(true);
    expect(closeAll(e.buffers, eagerSnaps[i].buffers), `buffers at capture, step ${i}`).toBe(true);
  });
  // One capture, replayed.
  const replayed = instance(c, r);
  const xs = replayed.copies(inputs[ORDER[0]]);
  const s = capture(replayed.step, xs);
  expect(replayed.snapshot(s.outputs, xs), 'the capture').toEqual(expected[0]);
  for (let i = 1; i < ORDER.length; i++) {
    const outs = s.replay(...inputs[ORDER[i]]);
    const got = replayed.snapshot(outs, xs);
    expect(got.outputs, `outputs, replay ${i} (input ${ORDER[i]})`).toEqual(expected[i].outputs);
    expect(got.grads, `gradients, replay ${i} (input ${ORDER[i]})`).toEqual(expected[i].grads);
    expect(got.buffers, `buffers, replay ${i} (input ${ORDER[i]})`).toEqual(expected[i].buffers);
  }
  s.dispose();
}

describe.each(['cpu', 'wasm'])(
  'capture of nn layers and losses on the %s backend: exact replays or a CaptureError',
  (backend) => {
    it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const previous = getBackend();
      expect(await initWasmBackend()).toBe(true);
      try {
        setBackend(backend);
        check(c);
      } finally {
        setBackend(previous);
      }
    });
  },
);
