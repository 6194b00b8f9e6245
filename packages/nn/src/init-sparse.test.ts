import { DTypeError, Generator, manualSeed, type Tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { sparse } from './init-sparse';
import { Linear } from './layers/linear';

function column(t: Tensor, c: number): number[] {
  const [rows, cols] = t.shape;
  return Array.from({ length: rows }, (_, r) => t.values[r * cols + c]);
}

describe('init.sparse', () => {
  it('zeroes exactly ceil(sparsity · rows) entries of every column and draws the rest from N(0, std²)', () => {
    const w = zeros([50, 400], { dtype: 'float64' });
    expect(sparse(w, 0.1, { std: 0.5, generator: new Generator(1) })).toBe(w);
    const others: number[] = [];
    for (let c = 0; c < 400; c++) {
      const col = column(w, c);
      expect(col.filter((v) => v === 0).length, `column ${c}`).toBe(5);
      others.push(...col.filter((v) => v !== 0));
    }
    const mean = others.reduce((a, b) => a + b, 0) / others.length;
    const sd = Math.sqrt(others.reduce((a, b) => a + (b - mean) ** 2, 0) / others.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(sd).toBeGreaterThan(0.48);
    expect(sd).toBeLessThan(0.52);
  });

  it('picks different rows in different columns, spread over all rows; counts in double precision', () => {
    const w = zeros([100, 1000]);
    sparse(w, 0.07, { generator: new Generator(2) });
    const perRow = new Array(100).fill(0);
    for (let c = 0; c < 1000; c++) {
      const col = column(w, c);
      // 0.07 · 100 is 7.000000000000001 in double precision, so 8 zeros per column, as in PyTorch
      expect(col.filter((v) => v === 0).length).toBe(8);
      for (let r = 0; r < 100; r++) if (col[r] === 0) perRow[r] += 1;
    }
    for (const n of perRow) expect(Math.abs(n - 80)).toBeLessThan(45);
  });

  it('defaults to std 0.01, keeps no zeros at sparsity 0 and all zeros at sparsity 1', () => {
    const w = zeros([200, 50]);
    sparse(w, 0, { generator: new Generator(3) });
    const values = Array.from(w.values);
    expect(values.every((v) => v !== 0)).toBe(true);
    const sd = Math.sqrt(values.reduce((a, b) => a + b * b, 0) / values.length);
    expect(sd).toBeGreaterThan(0.0095);
    expect(sd).toBeLessThan(0.0105);
    sparse(w, 1);
    expect(Array.from(w.values).every((v) => v === 0)).toBe(true);
  });

  it('is reproducible from a seed (the global generator too) and writes a Linear weight in place', () => {
    const a = sparse(zeros([6, 5]), 0.5, { generator: new Generator(7) });
    const b = sparse(zeros([6, 5]), 0.5, { generator: new Generator(7) });
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    manualSeed(11);
    const c = sparse(zeros([6, 5]), 0.5);
    manualSeed(11);
    const d = sparse(zeros([6, 5]), 0.5);
    expect(Array.from(c.values)).toEqual(Array.from(d.values));
    const layer = new Linear(8, 4);
    sparse(layer.weight, 0.25, { generator: new Generator(0) });
    for (let col = 0; col < 8; col++) expect(column(layer.weight, col).filter((v) => v === 0).length).toBe(1);
  });

  it('checks its arguments, naming the function', () => {
    expect(() => sparse(zeros([2, 3, 4]), 0.1)).toThrow(/sparse: only 2-D tensors are supported, got .*\[2,3,4\]/);
    expect(() => sparse(zeros([4, 4]), 1.5)).toThrow(/sparse: sparsity must be a number in \[0, 1\], got 1.5/);
    expect(() => sparse(zeros([4, 4]), Number.NaN)).toThrow(ValueError);
    expect(() => sparse(zeros([4, 4]), 0.1, { std: -1 })).toThrow(/sparse: std must be >= 0/);
    expect(() => sparse(zeros([4, 4]), 0.1, { std: Number.POSITIVE_INFINITY })).toThrow(/sparse: std/);
    // @ts-expect-error: a misspelled option
    expect(() => sparse(zeros([4, 4]), 0.1, { stdev: 1 })).toThrow(/sparse: unknown option "stdev"/);
    expect(() => sparse(zeros([4, 4], { dtype: 'int32' }), 0.1)).toThrow(DTypeError);
    expect(() => sparse([[1]] as unknown as Tensor, 0.1)).toThrow(/sparse: tensor must be a Tensor/);
  });
});
