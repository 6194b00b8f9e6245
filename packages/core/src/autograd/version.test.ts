import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, zeros } from '../creation';
import { AutogradError, DTypeError, SavedTensorModifiedError, ShapeError } from '../errors';
import { noGrad } from '../grad-mode';
import { exp } from '../ops/exp';
import type { Tensor } from '../tensor';
import { fingerprintOf } from '../version';
import { gradients } from './backward';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('version counters: a tensor modified after an op saved it makes backward throw', () => {
  it("catches the issue's example: x.mul(x).sum(), then x.data[0] = 10, then backward", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true, dtype: 'float64' });
    const s = x.mul(x).sum();
    x.data[0] = 10;
    const e = thrown(() => s.backward());
    expect(e).toBeInstanceOf(SavedTensorModifiedError);
    expect(e).toBeInstanceOf(AutogradError);
    const err = e as SavedTensorModifiedError;
    expect(err.name).toBe('SavedTensorModifiedError');
    expect(err.op).toBe('mul');
    expect(err.which).toBe('input 0');
    expect(err.savedVersion).toBe(0);
    expect(err.version).toBe(1);
    expect(err.message).toMatch(/op "mul".*saved at version 0, now at version 1/);
    // nothing was accumulated: the caller's tensors are as they were
    expect(x.grad).toBeNull();
    expect(Array.from(x.values)).toEqual([10, 2, 3]);
  });

  it('catches a write into the output of exp (its backward reads the output)', () => {
    const x = tensor([1], { requiresGrad: true, dtype: 'float64' });
    const y = exp(x);
    y.data[0] = 0;
    const err = thrown(() => y.sum().backward()) as SavedTensorModifiedError;
    expect(err).toBeInstanceOf(SavedTensorModifiedError);
    expect(err.op).toBe('exp');
    expect(err.which).toBe('output');
  });

  it('without a write, the same graphs give the right gradients, even after reading .data', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true, dtype: 'float64' });
    const s = x.mul(x).sum();
    expect(x.data[0]).toBe(1); // a read is not a write
    s.backward();
    expect(Array.from(x.grad?.values ?? [])).toEqual([2, 4, 6]);
    const z = tensor([1], { requiresGrad: true, dtype: 'float64' });
    const y = exp(z);
    expect(y.data[0]).toBeCloseTo(Math.E, 14);
    y.sum().backward();
    expect(z.grad?.item()).toBeCloseTo(Math.E, 14);
  });

  it('writing the same value back is not a change', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const s = x.mul(x).sum();
    const old = x.data[1];
    x.data[1] = 7;
    x.data[1] = old;
    s.backward();
    expect(Array.from(x.grad?.values ?? [])).toEqual([2, 4, 6]);
  });

  it('allows changing an input that the op does not read (add, sum, reshape), as PyTorch does', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const s = x.add(1).reshape([3, 1]).sum();
    x.data[0] = 100;
    s.backward();
    expect(Array.from(x.grad?.values ?? [])).toEqual([1, 1, 1]);
  });

  it('a write through a view (reshape, detach) counts for the tensor it views', () => {
    const x = tensor([1, 2, 3, 4], { requiresGrad: true });
    const s = x.mul(x).sum();
    const v = x.detach().reshape([2, 2]);
    noGrad(() => v.add_(1));
    expect(x.version).toBe(1);
    expect(v.version).toBe(1);
    const err = thrown(() => s.backward()) as SavedTensorModifiedError;
    expect(err.op).toBe('mul');
    expect([err.savedVersion, err.version]).toEqual([0, 1]);
  });

  it('an optimizer-style update under noGrad works, and a graph built before it cannot be backpropagated after', () => {
    const w = tensor([0.5, -1], { requiresGrad: true, dtype: 'float64' });
    const x = tensor([2, 3], { dtype: 'float64' });
    for (let step = 0; step < 3; step++) {
      w.grad = null;
      const loss = w.mul(x).sum().square();
      loss.backward();
      const g = w.grad as unknown as Tensor;
      noGrad(() => w.sub_(g, { alpha: 0.01 }));
    }
    expect(w.version).toBe(3);
    const stale = w.mul(x).sum();
    noGrad(() => w.sub_(tensor([1, 1], { dtype: 'float64' }), { alpha: 0.1 }));
    expect(thrown(() => stale.backward())).toBeInstanceOf(SavedTensorModifiedError);
  });

  it('checks again on a second backward through a retained graph, and in gradients of gradients', () => {
    const x = tensor([1, 2], { requiresGrad: true, dtype: 'float64' });
    const y = x.mul(x).sum();
    y.backward(null, { retainGraph: true });
    x.data[1] = 5;
    expect(thrown(() => y.backward())).toBeInstanceOf(SavedTensorModifiedError);

    const z = tensor([3], { requiresGrad: true, dtype: 'float64' });
    const [g] = gradients([z.pow(3).sum()], [z], null, { createGraph: true });
    noGrad(() => z.mul_(2));
    expect(thrown(() => gradients([(g as Tensor).sum()], [z]))).toBeInstanceOf(SavedTensorModifiedError);
  });
});

describe('in-place ops', () => {
  it('compute like their out-of-place twins, broadcast the other operand, and bump the version once each', () => {
    const t = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(t.version).toBe(0);
    t.add_(tensor([10, 20]));
    expect(t.toArray()).toEqual([
      [11, 22],
      [13, 24],
    ]);
    t.sub_(1, { alpha: 2 });
    t.mul_(tensor([[2], [1]]));
    t.div_(2);
    expect(t.toArray()).toEqual([
      [9, 20],
      [5.5, 11],
    ]);
    t.clamp_(6, 12);
    expect(t.toArray()).toEqual([
      [9, 12],
      [6, 11],
    ]);
    t.copy_(tensor([7, 8], { dtype: 'float64' }));
    expect(t.toArray()).toEqual([
      [7, 8],
      [7, 8],
    ]);
    t.fill_(3);
    expect(Array.from(t.values)).toEqual([3, 3, 3, 3]);
    t.zero_();
    expect(Array.from(t.values)).toEqual([0, 0, 0, 0]);
    expect(t.version).toBe(8);
    expect(t.dtype).toBe('float32');
  });

  it('refuse a tensor that requires gradients while recording, with a named error, and change nothing', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => w.add_(1)).toThrow(AutogradError);
    expect(() => w.add_(1)).toThrow(/Tensor\.add_: .*leaf.*noGrad/);
    const h = w.mul(2);
    expect(() => h.mul_(2)).toThrow(/Tensor\.mul_: .*out-of-place/);
    expect(Array.from(w.values)).toEqual([1, 2]);
    expect(Array.from(h.values)).toEqual([2, 4]);
    expect(w.version).toBe(0);
    noGrad(() => w.add_(1));
    expect(Array.from(w.values)).toEqual([2, 3]);
  });

  it('reject results that do not fit the shape or the dtype, leaving the tensor untouched', () => {
    const t = zeros([2]);
    expect(() => t.add_(zeros([3, 2]))).toThrow(ShapeError);
    expect(() => t.add_(zeros([3, 2]))).toThrow(/Tensor\.add_/);
    const i = zeros([2], { dtype: 'int32' });
    expect(() => i.add_(0.5)).toThrow(DTypeError);
    expect(() => i.fill_(1.5)).toThrow(/Tensor\.fill_: 1\.5 cannot be stored in an int32 tensor/);
    expect(() => i.copy_(tensor([1.5, 2]))).toThrow(DTypeError);
    expect(Array.from(t.values)).toEqual([0, 0]);
    expect(Array.from(i.values)).toEqual([0, 0]);
    expect([t.version, i.version]).toEqual([0, 0]);
  });

  it('markModified and writes through .data show in version; values and reads do not', () => {
    const t = zeros([3]);
    const d = t.data;
    expect(t.version).toBe(0);
    d[2] = 1;
    expect(t.version).toBe(1);
    expect(t.version).toBe(1); // counted once
    t.values[0] = 5; // untracked by contract...
    t.markModified(); // ...unless announced
    expect(t.version).toBe(2);
    void t.values[1];
    expect(t.version).toBe(2);
  });
});

describe('fingerprints', () => {
  it('change when any one element changes, for every dtype', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('float32' as const, 'float64' as const, 'int32' as const),
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.integer({ min: -1000, max: 1000 }),
        (dtype, n, at, delta) => {
          const t = zeros([n], { dtype });
          for (let i = 0; i < n; i++) t.values[i] = (i * 7) % 13;
          const before = fingerprintOf(t.values);
          const i = at % n;
          const old = t.values[i];
          t.values[i] = old + (delta === 0 ? 1 : delta);
          return fingerprintOf(t.values) !== before;
        },
      ),
      { seed: 14, numRuns: 300 },
    );
  });

  it('see every element of 16-bit arrays, odd lengths and unaligned offsets included', () => {
    const buffer = new ArrayBuffer(16);
    for (const [offset, length] of [
      [0, 3],
      [2, 5],
      [2, 1],
      [0, 8],
    ]) {
      const a = new Uint16Array(buffer, offset, length);
      a.fill(7);
      const before = fingerprintOf(a as never);
      for (let i = 0; i < length; i++) {
        a[i] = 8;
        expect(fingerprintOf(a as never), `offset ${offset}, length ${length}, element ${i}`).not.toBe(before);
        a[i] = 7;
        expect(fingerprintOf(a as never)).toBe(before);
      }
    }
  });

  it('tell 0 from -0 (a write of a different bit pattern is a write)', () => {
    expect(fingerprintOf(new Float32Array([0]))).not.toBe(fingerprintOf(new Float32Array([-0])));
  });
});
