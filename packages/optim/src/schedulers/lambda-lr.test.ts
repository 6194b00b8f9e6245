import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { lambdaLR, multiplicativeLR } from './lambda-lr';
import { fakeOptimizer, run } from './testing';

describe('lambdaLR', () => {
  it('sets base * lrLambda(epoch), with one function for all groups', () => {
    const rows = run(lambdaLR(fakeOptimizer([{ lr: 1 }, { lr: 2 }]), { lrLambda: (e) => 1 / 2 ** e }), 3);
    expect(rows).toEqual([
      [1, 2],
      [0.5, 1],
      [0.25, 0.5],
      [0.125, 0.25],
    ]);
  });

  it('takes one function per group', () => {
    const opt = fakeOptimizer([{ lr: 1 }, { lr: 1 }]);
    const rows = run(lambdaLR(opt, { lrLambda: [(e) => Math.floor(e / 2), (e) => e + 1] }), 3);
    expect(rows).toEqual([
      [0, 1],
      [0, 2],
      [1, 3],
      [1, 4],
    ]);
  });

  it('rejects bad lambdas', () => {
    const opt = fakeOptimizer([{ lr: 1 }, { lr: 1 }]);
    expect(() => lambdaLR(opt, { lrLambda: [() => 1] })).toThrow(ValueError);
    expect(() => lambdaLR(opt, { lrLambda: [() => 1] })).toThrow(
      'lambdaLR: lrLambda must have one function per param group (2), got 1',
    );
    expect(() => lambdaLR(opt, { lrLambda: 0.5 as never })).toThrow(
      'lambdaLR: lrLambda must be a function or an array of functions, got 0.5',
    );
    expect(() => lambdaLR(opt, { lrLambda: [() => 1, 3 as never] })).toThrow(
      'lambdaLR: lrLambda[1] must be a function, got 3',
    );
    expect(() => lambdaLR(opt, { lrLambda: (() => 'x') as never })).toThrow(
      'lambdaLR: lrLambda(0) must return a number, got "x"',
    );
  });
});

describe('multiplicativeLR', () => {
  it('multiplies the current value by lrLambda(epoch) from epoch 1 on', () => {
    const calls: number[] = [];
    const rows = run(
      multiplicativeLR(fakeOptimizer([{ lr: 8 }]), {
        lrLambda: (e) => {
          calls.push(e);
          return 0.5;
        },
      }),
      3,
    ).map((r) => r[0]);
    expect(rows).toEqual([8, 4, 2, 1]);
    expect(calls).toEqual([1, 2, 3]);
  });

  it('rejects a missing lambda', () => {
    expect(() => multiplicativeLR(fakeOptimizer([{ lr: 1 }]), {} as never)).toThrow(
      'multiplicativeLR: lrLambda must be a function or an array of functions, got undefined',
    );
  });
});
