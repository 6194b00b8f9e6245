import { cast, Generator, randn, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import * as init from '../init';
import { BatchNorm1d } from '../layers/batch-norm';

describe('16-bit storage in init and BatchNorm (bit patterns are never written as numbers)', () => {
  it('the initialisers store their float32 draws rounded to the half dtype', () => {
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const half = init.uniform(zeros([64], { dtype }), -1, 1, { generator: new Generator(3) });
      const full = init.uniform(zeros([64]), -1, 1, { generator: new Generator(3) });
      expect(half.toArray()).toEqual(cast(cast(full, dtype), 'float32').toArray());
      expect(new Set(half.toArray() as number[]).size).toBeGreaterThan(30);
      expect(init.constant(zeros([3], { dtype }), 0.5).toArray()).toEqual([0.5, 0.5, 0.5]);
      expect(init.ones(zeros([2], { dtype })).toArray()).toEqual([1, 1]);
      const n = init.normal(zeros([32], { dtype }), 0, 0.02, { generator: new Generator(1) }).toArray() as number[];
      expect(Math.max(...n.map(Math.abs))).toBeLessThan(0.2);
      expect(Math.max(...n.map(Math.abs))).toBeGreaterThan(0);
    }
  });

  it('BatchNorm in training updates half running statistics like the float32 module, to half precision', () => {
    const x = randn([16, 3], { generator: new Generator(5) })
      .mul(2)
      .add(1);
    const full = new BatchNorm1d(3);
    const half = new BatchNorm1d(3).to('bfloat16');
    full.forward(x);
    half.forward(cast(x, 'bfloat16'));
    const rm = half.stateDict().running_mean;
    const rv = half.stateDict().running_var;
    const want = full.stateDict();
    expect(rm.dtype).toBe('bfloat16');
    const close = (got: unknown, expected: unknown) =>
      (got as number[]).forEach((v, i) => {
        expect(v).toBeCloseTo((expected as number[])[i], 1);
      });
    close(rm.toArray(), want.running_mean.toArray());
    close(rv.toArray(), want.running_var.toArray());
    expect((rm.toArray() as number[]).some((v) => v !== 0)).toBe(true);
  });
});
