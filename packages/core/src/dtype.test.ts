import { describe, expect, it } from 'vitest';
import { allocate, type DType } from './dtype';
import { DTypeError } from './errors';
import { getBackend, setBackend } from './kernels/registry';

describe('allocate', () => {
  it('gives zero-filled, non-overlapping small arrays that share slabs', () => {
    const arrays = [];
    for (let i = 0; i < 200; i++) {
      const dtype: DType = (['float32', 'float64', 'int32'] as const)[i % 3];
      const size = 17 + ((i * 37) % 100); // 68 to 928 bytes for 4-byte dtypes
      const a = allocate(dtype, size);
      expect(a.length).toBe(size);
      expect(a.every((v) => v === 0)).toBe(true);
      expect(a.byteOffset % a.BYTES_PER_ELEMENT).toBe(0);
      a.fill(i + 1); // must not show up in any other array
      arrays.push(a);
    }
    arrays.forEach((a, i) => {
      expect(a.every((v) => v === i + 1)).toBe(true);
    });
    // Many small arrays per buffer (slabs), so far fewer buffers than arrays.
    const buffers = new Set(arrays.map((a) => a.buffer));
    expect(buffers.size).toBeLessThan(arrays.length / 4);
  });

  it('gives tiny and large arrays their own buffers (on the cpu backend; wasm pools large ones)', () => {
    const previous = getBackend();
    setBackend('cpu');
    try {
      for (const size of [1, 16, 257, 10_000]) {
        const a = allocate('float32', size);
        expect(a.byteOffset).toBe(0);
        expect(a.buffer.byteLength).toBe(size * 4);
      }
    } finally {
      setBackend(previous);
    }
  });

  it('rejects an unknown dtype', () => {
    expect(() => allocate('float8' as DType, 4)).toThrow(DTypeError);
    expect(() => allocate('float8' as DType, 4)).toThrow(/allocate: unknown dtype "float8"/);
  });
});
