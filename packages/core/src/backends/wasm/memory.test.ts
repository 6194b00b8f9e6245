import { describe, expect, it } from 'vitest';
import { WasmHeap } from './memory';

// The heap's power-of-two size classes, seen through what alloc counts and which freed block it reuses.
describe('WasmHeap size classes', () => {
  const heap = () => new WasmHeap(new WebAssembly.Memory({ initial: 1, maximum: 512 }), 1, false);

  it('counts each block as the power of two at or above its size, 64 bytes at least', () => {
    const h = heap();
    const cases: [number, number][] = [
      [0, 64],
      [1, 64],
      [64, 64],
      [65, 128],
      [128, 128],
      [129, 256],
      [4097, 8192],
      [(1 << 20) - 1, 1 << 20],
      [1 << 20, 1 << 20],
      [(1 << 20) + 1, 1 << 21],
    ];
    for (const [bytes, block] of cases) {
      const before = h.allocatedBytes;
      const ptr = h.alloc(bytes);
      expect(h.allocatedBytes - before, `${bytes} bytes`).toBe(block);
      expect(ptr % 64, `${bytes} bytes`).toBe(0);
      h.release(ptr, bytes);
      expect(h.allocatedBytes, `${bytes} bytes`).toBe(before);
    }
  });

  it('gives a freed block to the next request of its class, and only of its class', () => {
    const h = heap();
    const ptr = h.alloc(100);
    h.release(ptr, 100);
    const same = h.alloc(65); // also the 128-byte class
    expect(same).toBe(ptr);
    h.release(same, 65);
    const larger = h.alloc(129); // the 256-byte class: a new block
    const smaller = h.alloc(64); // the 64-byte class: a new block
    expect(larger).not.toBe(ptr);
    expect(smaller).not.toBe(ptr);
    expect(h.alloc(128)).toBe(ptr);
  });
});
