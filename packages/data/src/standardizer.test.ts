import { ShapeError, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Standardizer, standardize } from './standardizer';

const train = tensor(
  [
    [1, 10, 5],
    [3, 20, 5],
    [5, 60, 5],
  ],
  { dtype: 'float64' },
);

describe('Standardizer', () => {
  it('fits the per-feature mean and population std, with std 1 for a constant feature', () => {
    const s = new Standardizer().fit(train);
    expect(s.mean?.toArray()).toEqual([3, 30, 5]);
    const std = s.std?.toArray() as number[];
    expect(std[0]).toBeCloseTo(Math.sqrt(8 / 3), 14);
    expect(std[1]).toBeCloseTo(Math.sqrt(1400 / 3), 12);
    expect(std[2]).toBe(1);
    expect(s.mean?.dtype).toBe('float64');
  });

  it('transforms to zero mean and unit variance, and inverts', () => {
    const s = new Standardizer();
    const z = s.fitTransform(train);
    const rows = z.toArray() as number[][];
    expect(rows[0][0]).toBeCloseTo(-2 / Math.sqrt(8 / 3), 14);
    expect(rows.map((r) => r[2])).toEqual([0, 0, 0]);
    const zMean = z.mean(0).toArray() as number[];
    const zStd = z.std(0, { correction: 0 }).toArray() as number[];
    for (const m of zMean) expect(m).toBeCloseTo(0, 14);
    expect(zStd[0]).toBeCloseTo(1, 14);
    expect(zStd[1]).toBeCloseTo(1, 14);
    const back = s.inverseTransform(z).toArray() as number[][];
    const original = train.toArray() as number[][];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(back[i][j]).toBeCloseTo(original[i][j], 12);
  });

  it('applies the training statistics to other data and never changes its input', () => {
    const s = new Standardizer().fit(train);
    const test = tensor([[3, 30, 6]], { dtype: 'float64' });
    const before = Array.from(test.data);
    expect(s.transform(test).toArray()).toEqual([[0, 0, 1]]);
    expect(Array.from(test.data)).toEqual(before);
    expect(Array.from(train.data)).toEqual([1, 10, 5, 3, 20, 5, 5, 60, 5]);
  });

  it('keeps float32 data in float32 and turns int32 data into float32', () => {
    const s = new Standardizer().fit(tensor([[0], [2]]));
    expect(s.transform(tensor([[4]])).dtype).toBe('float32');
    expect(s.transform(tensor([[4]])).toArray()).toEqual([[3]]);
    expect(s.transform(tensor([[4]], { dtype: 'int32' })).dtype).toBe('float32');
  });

  it('round-trips its state dict', () => {
    const a = new Standardizer().fit(train);
    const b = new Standardizer().loadStateDict(a.stateDict());
    expect(b.transform(train).toArray()).toEqual(a.transform(train).toArray());
    expect(b.fitted).toBe(true);
  });

  it('reports misuse: not fitted, wrong feature shape, no samples, bad state', () => {
    expect(() => new Standardizer().transform(train)).toThrow(/Standardizer.transform: the standardizer is not fitted/);
    const s = new Standardizer().fit(train);
    expect(() => s.transform(tensor([[1, 2]]))).toThrow(ShapeError);
    expect(() => s.transform(tensor([[1, 2]]))).toThrow(
      /Standardizer.transform: x has shape \[1,2\], expected \[n,3\] \(fitted on features of shape \[3\]\)/,
    );
    expect(() => new Standardizer().fit(tensor([]).reshape([0, 2]))).toThrow(/needs at least one sample/);
    expect(() => new Standardizer().loadStateDict({ mean: tensor([0]), std: tensor([0]) })).toThrow(ValueError);
    expect(() => new Standardizer().stateDict()).toThrow(/not fitted/);
  });
});

describe('standardize', () => {
  it('fits on the training split only and applies it to the others', () => {
    const { standardizer, train: z, others } = standardize(train, tensor([[3, 30, 5]], { dtype: 'float64' }));
    expect(standardizer.mean?.toArray()).toEqual([3, 30, 5]);
    expect((z.toArray() as number[][])[1]).toEqual([0, (20 - 30) / Math.sqrt(1400 / 3), 0]);
    expect(others.map((t) => t.toArray())).toEqual([[[0, 0, 0]]]);
  });
});
