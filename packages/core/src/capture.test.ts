import { describe, expect, it } from 'vitest';
import type { WasmBufferPool } from './backends/wasm/pool';
import { capture } from './capture';
import { CaptureError, isCapturing } from './capture-state';
import { ones, tensor, zeros } from './creation';
import { DTypeError, ShapeError, ValueError } from './errors';
import { getBackend } from './kernels/registry';
import { getBufferPool } from './lifetime';
import { add } from './ops/add';
import { fusedLinear as linear } from './ops/linear';
import { logSoftmax } from './ops/log-softmax';
import { matmul } from './ops/matmul';
import { mean } from './ops/mean';
import { mul } from './ops/mul';
import { relu } from './ops/relu';
import { sum } from './ops/sum';
import { manualSeed, randn } from './random';
import { getResidency, type Residency, runOnHost, setResidency } from './residency';
import type { Tensor } from './tensor';
import { tidy } from './tidy';

// Runs on both backends (projects core and core-wasm): on wasm the tensors of the step are blocks of the
// pool, which the capture must keep.

/** A two-layer model's parameters and a loss that uses bias, ReLU, log-softmax, a reduction and backward. */
function model(seed: number) {
  manualSeed(seed);
  const w1 = randn([24, 40]).requiresGrad_();
  const b1 = randn([24]).requiresGrad_();
  const w2 = randn([5, 24]).requiresGrad_();
  const params = [w1, b1, w2];
  const loss = (x: Tensor, t: Tensor) => {
    const h = linear(x, w1, b1, { activation: 'relu' });
    const z = matmul(h, w2.transpose(0, 1));
    return mean(mul(logSoftmax(z, 1), t)).neg();
  };
  return { params, loss };
}

function batch(seed: number): [Tensor, Tensor] {
  manualSeed(seed);
  return [randn([16, 40]), randn([16, 5]).abs()];
}

/** The gradient's values (a function, so that TypeScript does not narrow `.grad` after an assignment). */
const gradOf = (t: Tensor) => t.grad?.toArray();
const gradsOf = (params: readonly Tensor[]) => params.map((p) => Array.from(p.grad?.values ?? []));

/** Clear the gradients, compute the loss, backward: the step the tests capture. */
function trainStep(m: ReturnType<typeof model>, x: Tensor, t: Tensor): Tensor {
  for (const p of m.params) p.grad = null;
  const l = m.loss(x, t);
  l.backward();
  return l;
}

describe('capture', () => {
  it('replays give the losses and gradients of eager steps, bit for bit, for new inputs in any order', () => {
    const eager = model(1);
    const expected = [0, 1, 2, 3].map((i) =>
      tidy(() => {
        for (const p of eager.params) p.grad = null;
        const l = eager.loss(...batch(10 + i));
        l.backward();
        return { loss: l.item(), grads: gradsOf(eager.params) };
      }),
    );
    const m = model(1);
    const [x, t] = [zeros([16, 40]), zeros([16, 5])];
    const step = capture(
      (input, target) => {
        for (const p of m.params) p.grad = null;
        const l = m.loss(input, target);
        l.backward();
        return l;
      },
      [x, t],
    );
    expect(step.length).toBeGreaterThan(5);
    for (const i of [2, 0, 3, 1, 1, 2]) {
      const l = step.replay(...batch(10 + i));
      expect(l.item()).toBe(expected[i].loss);
      expect(gradsOf(m.params)).toEqual(expected[i].grads);
    }
    step.dispose();
  });

  it('keeps the memory of its tensors: tensors allocated between replays do not disturb them', () => {
    const m = model(2);
    const [x, t] = batch(20);
    const step = tidy(() => capture(() => trainStep(m, x, t)));
    const first = step.replay().item();
    const grads = gradsOf(m.params);
    // the tidy freed the step's temporaries; new tensors of the same sizes must not land on their blocks
    const junk = tidy(() => [0, 1, 2, 3].flatMap(() => [randn([16, 24]).mul(1e6), randn([16, 5]).add(7)]));
    const junkValues = junk.map((j) => Array.from(j.values));
    expect(step.replay().item()).toBe(first);
    expect(gradsOf(m.params)).toEqual(grads);
    // and the replay did not write into them
    expect(junk.map((j) => Array.from(j.values))).toEqual(junkValues);
    for (const j of junk) j.dispose();
    step.dispose();
  });

  it('allocates nothing on a replay, and gives its blocks back on dispose (wasm pool)', () => {
    const pool = getBufferPool() as WasmBufferPool | null;
    if (getBackend() !== 'wasm' || pool === null) {
      expect(getBackend()).toBe('cpu');
      return;
    }
    const before = pool.liveBlocks;
    const m = model(3);
    const [x, t] = batch(30);
    const step = tidy(() => capture(() => trainStep(m, x, t)));
    const kept = pool.liveBlocks;
    expect(kept).toBeGreaterThan(before);
    for (let i = 0; i < 5; i++) step.replay();
    expect(pool.liveBlocks).toBe(kept);
    for (const p of m.params) p.grad = null;
    step.dispose();
    for (const p of [...m.params, x, t]) p.dispose();
    expect(pool.liveBlocks).toBeLessThanOrEqual(before);
  });

  it('keeps the blocks of parameters and inputs disposed while it lives: no new tensor lands on them', () => {
    const m = model(4);
    const [x, t] = batch(40);
    const step = capture(() => trainStep(m, x, t));
    const first = step.replay().item();
    for (const p of m.params) p.grad = null;
    const [w1] = m.params; // 960 elements: a pool block on wasm
    w1.dispose();
    x.dispose();
    const junk = [0, 1, 2, 3].map(() => randn([24, 40]).add(5));
    const junkValues = junk.map((j) => Array.from(j.values));
    // the replay reads the disposed parameter's last values, and writes nothing into the new tensors
    expect(step.replay().item()).toBe(first);
    expect(junk.map((j) => Array.from(j.values))).toEqual(junkValues);
    step.dispose();
  });

  it('writes constants made from JavaScript values again, so in-place ops on them repeat as eager code does', () => {
    const x = zeros([300]);
    const step = capture(
      (input) => {
        const c = ones([300]); // a constant of the capture (300 elements: a pool block on wasm)
        c.mul_(2);
        c.add_(input);
        const s = tensor([1, 2, 3]);
        s.mul_(s);
        return [sum(c), sum(s)];
      },
      [x],
    );
    for (let i = 1; i <= 3; i++) {
      const [a, b] = step.replay(ones([300]).mul(i));
      expect(a.item()).toBe(300 * (2 + i));
      expect(b.item()).toBe(14);
    }
  });

  it('zeroes again what was allocated zeroed (accumulations start from zero on every replay)', () => {
    const x = zeros([4, 3]);
    const w = tensor([[1], [2], [3]], { requiresGrad: true });
    const step = capture(
      (input) => {
        w.grad = null;
        // w is used twice: backward adds the two contributions into one gradient
        const l = add(sum(matmul(input, w)), sum(matmul(input, w)));
        l.backward();
        return l;
      },
      [x],
    );
    for (let i = 1; i <= 3; i++) {
      step.replay(ones([4, 3]).mul(i));
      expect(w.grad?.toArray()).toEqual([[8 * i], [8 * i], [8 * i]]);
    }
  });

  it('adds to the gradients it added to at capture, and refuses a replay once they were replaced', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const x = tensor([3, 4]);
    w.grad = tensor([10, 10]);
    const step = capture(
      (input) => {
        sum(mul(input, w)).backward();
      },
      [x],
    );
    expect(w.grad?.toArray()).toEqual([13, 14]); // eager: accumulated
    step.replay();
    expect(w.grad?.toArray()).toEqual([16, 18]);
    w.grad = tensor([0, 0]);
    expect(() => step.replay()).toThrow(/no longer has the gradient the capture added to/);
  });

  it('needs gradients cleared before a replay when the capture computed them from none', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const step = capture(() => {
      sum(mul(w, w)).backward();
    });
    expect(w.grad?.toArray()).toEqual([2, 4]);
    expect(() => step.replay()).toThrow(CaptureError);
    expect(() => step.replay()).toThrow(/has a gradient, but the capture computed it from none/);
    w.grad = null;
    step.replay();
    expect(gradOf(w)).toEqual([2, 4]);
  });

  it('lets a step that clears its gradients itself replay with any gradients present', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    w.grad = tensor([5, 5]);
    const x = tensor([1, 1]);
    const step = capture(
      (input) => {
        w.grad = null;
        sum(mul(mul(w, w), input)).backward();
      },
      [x],
    );
    w.grad = tensor([7, 7]);
    step.replay(tensor([2, 3]));
    expect(w.grad?.toArray()).toEqual([4, 12]);
    step.replay(tensor([1, 1]));
    expect(w.grad?.toArray()).toEqual([2, 4]);
  });

  it('runs host tasks again on every replay, and lets them read the values they were given', () => {
    const x = zeros([3]);
    const step = capture(
      (input) => {
        const y = input.mul(2);
        runOnHost([], [y], () => {
          const v = y.values;
          for (let i = 0; i < v.length; i++) v[i] = Math.min(v[i], 5);
          y.markModified();
        });
        return sum(y);
      },
      [x],
    );
    expect(step.replay(tensor([1, 2, 3])).item()).toBe(2 + 4 + 5);
    expect(step.replay(tensor([4, 0, 1])).item()).toBe(5 + 0 + 2);
  });

  it('writes constants made inside the step again before a host task reads them', () => {
    const x = zeros([3]);
    const step = capture(
      (input) => {
        const c = tensor([1, 2, 3]); // zeroed, then written in JavaScript: a constant, read by the task below
        const out = input.mul(1);
        runOnHost([c], [out], () => {
          const v = out.values;
          const k = c.values;
          for (let i = 0; i < v.length; i++) v[i] += k[i];
          out.markModified();
        });
        return out;
      },
      [x],
    );
    expect(step.replay(tensor([10, 20, 30])).toArray()).toEqual([11, 22, 33]);
    expect(step.replay(tensor([0, 0, 0])).toArray()).toEqual([1, 2, 3]);
  });

  it('refuses a backend that keeps tensors away from JavaScript memory', () => {
    const device: Residency = {
      hostAccess: () => {},
      toHost: async () => {},
      toHostMany: async () => {},
      hostTask: (_r, _w, task) => {
        task();
        return true;
      },
    };
    setResidency(device);
    try {
      expect(() => capture(() => zeros([2]).add(1))).toThrow(/capture\(\) runs on the cpu and wasm backends/);
    } finally {
      setResidency(null);
    }
    expect(isCapturing()).toBe(false);
  });

  it('refuses host reads, random numbers, async functions and nesting, and leaves no recording behind', () => {
    const x = tensor([1, 2, 3]);
    expect(() => capture((input) => tensor([sum(input).item()]), [x])).toThrow(CaptureError);
    expect(() => capture((input) => tensor([sum(input).item()]), [x])).toThrow(
      /Tensor\.values: cannot read tensor values on the host inside capture\(\)/,
    );
    expect(() => capture((input) => input.toArray(), [x])).toThrow(CaptureError);
    expect(() => capture((input) => add(input, randn([3])), [x])).toThrow(/Generator: cannot draw random numbers/);
    expect(() => capture(async (input) => input.add(1), [x])).toThrow(/must be synchronous/);
    expect(() => capture(() => capture(() => x.add(1)))).toThrow(/inside another capture/);
    expect(isCapturing()).toBe(false);
    expect(getResidency()).toBe(null);
    // ops after a failed capture run eagerly as before
    expect(add(x, 1).toArray()).toEqual([2, 3, 4]);
    expect(randn([2]).shape).toEqual([2]);
  });

  it("checks its arguments and a replay's inputs, and leaves the static inputs untouched on a bad one", () => {
    expect(() => capture('f' as never)).toThrow(/capture: fn must be a function/);
    expect(() => capture((a) => a, [[1, 2]] as never)).toThrow(/capture: inputs\[0\] must be a Tensor/);
    const x = tensor([[1, 2]]);
    const y = tensor([5]);
    const step = capture((a, b) => add(sum(a), b), [x, y]);
    expect(() => step.replay(tensor([[1, 2, 3]]), tensor([1]))).toThrow(ShapeError);
    expect(() => step.replay(tensor([[1, 2]]), tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => step.replay(tensor([[1, 2]]))).toThrow(ValueError);
    expect(() => step.replay(tensor([[3, 3]]), tensor([1], { dtype: 'int32' }))).toThrow(
      /CapturedStep\.replay: input 1 is int32, the capture's is float32/,
    );
    expect(x.toArray()).toEqual([[1, 2]]);
    expect(step.replay(tensor([[3, 4]]), tensor([1])).toArray()).toEqual([8]);
    expect(x.toArray()).toEqual([[3, 4]]);
    step.dispose();
    expect(() => step.replay()).toThrow(/the step was disposed/);
  });

  it('relu and ReLU-free paths both replay: a linear layer without activation', () => {
    const w = tensor(
      [
        [1, -1],
        [2, 0.5],
      ],
      { requiresGrad: true },
    );
    const b = tensor([0.25, -3], { requiresGrad: true });
    const x = zeros([3, 2]);
    const step = capture(
      (input) => {
        w.grad = null;
        b.grad = null;
        const l = sum(relu(linear(input, w, b)));
        l.backward();
        return l;
      },
      [x],
    );
    const rows = tensor([
      [1, 2],
      [3, -4],
      [0.5, 0.5],
    ]);
    const l = step.replay(rows);
    const wg = w.grad?.toArray();
    const bg = b.grad?.toArray();
    w.grad = null;
    b.grad = null;
    const e = sum(relu(linear(rows, w, b)));
    e.backward();
    expect(l.item()).toBe(e.item());
    expect(wg).toEqual(gradOf(w));
    expect(bg).toEqual(gradOf(b));
  });
});
