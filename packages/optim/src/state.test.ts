import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState } from './state';

const roundTrip = (v: unknown) => decodeState(JSON.parse(JSON.stringify(encodeState(v))));

describe('encodeState / decodeState', () => {
  it('keeps non-finite elements of typed arrays through JSON (running minima start at Infinity)', () => {
    const state = {
      best: new Float64Array([Number.POSITIVE_INFINITY, -1.5, Number.NEGATIVE_INFINITY, Number.NaN]),
      f32: new Float32Array([Number.NaN, 0.1]),
      count: new Int32Array([3, -2]),
      scalar: Number.NEGATIVE_INFINITY,
    };
    expect(encodeState(state)).toEqual({
      best: { $typed: 'float64', data: ['Infinity', -1.5, '-Infinity', 'NaN'] },
      f32: { $typed: 'float32', data: ['NaN', Math.fround(0.1)] },
      count: { $typed: 'int32', data: [3, -2] },
      scalar: { $number: '-Infinity' },
    });
    const back = roundTrip(state) as typeof state;
    expect(back.best).toBeInstanceOf(Float64Array);
    expect(Array.from(back.best)).toEqual([Number.POSITIVE_INFINITY, -1.5, Number.NEGATIVE_INFINITY, Number.NaN]);
    expect(back.f32).toBeInstanceOf(Float32Array);
    expect(Number.isNaN(back.f32[0]) && back.f32[1] === Math.fround(0.1)).toBe(true);
    expect(Array.from(back.count)).toEqual([3, -2]);
    expect(back.scalar).toBe(Number.NEGATIVE_INFINITY);
  });

  it('refuses an element that is not a number, naming a null (what JSON made of Infinity before)', () => {
    expect(() => decodeState({ $typed: 'float64', data: [1, null] })).toThrow(ValueError);
    expect(() => decodeState({ $typed: 'float64', data: [1, null] })).toThrow(
      'decodeState: element 1 of a float64 array is null, not a number (JSON writes a non-finite number as null; a state saved so cannot be restored exactly)',
    );
    expect(() => decodeState({ $typed: 'float32', data: ['1'] })).toThrow(
      /element 0 of a float32 array is "1", not a number$/,
    );
  });
});
