import {
  bfloat16Bits,
  bfloat16Value,
  type DType,
  decodeHalf,
  float16Bits,
  float16Value,
  matmul,
  type Tensor,
  tensor,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { loadFixture } from './helpers/fixtures';

type Num = number | string;
interface HalfTensor {
  shape: number[];
  dtype: 'float16' | 'bfloat16';
  bits: number[];
}
interface Fixture {
  conversions: Record<'float64' | 'float32', { x: Num[]; float16: number[]; bfloat16: number[] }>;
  decode: { bits: number[]; float16: Num[]; bfloat16: Num[] };
  ops: { op: string; dtype: 'float16' | 'bfloat16'; inputs: HalfTensor[]; output?: HalfTensor; grads?: HalfTensor[] }[];
  promotion: [DType, DType, DType][];
}

const fx = loadFixture<Fixture>('half.json');

/** A NaN with the sign bit set (JSON has no such number; the fixture writes "-nan"). */
const NEG_NAN = new Float64Array(new BigUint64Array([0xfff8000000000000n]).buffer)[0];

function num(v: Num): number {
  if (v === 'nan') return Number.NaN;
  if (v === '-nan') return NEG_NAN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return v as number;
}

const isNaNBits = (dtype: 'float16' | 'bfloat16', b: number): boolean =>
  dtype === 'float16' ? (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0 : (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;

const hex = (b: number) => `0x${b.toString(16).padStart(4, '0')}`;

/** Compare bit patterns; NaN is compared as "a NaN" for bfloat16 (PyTorch's NaN bits depend on the position). */
function expectBits(dtype: 'float16' | 'bfloat16', got: ArrayLike<number>, want: number[], inputs: Num[] = []): void {
  expect(got.length).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const ok = isNaNBits(dtype, want[i])
      ? isNaNBits(dtype, got[i]) && (dtype === 'bfloat16' || got[i] === want[i])
      : got[i] === want[i];
    if (!ok) bad.push(`[${i}] x=${inputs[i]} got ${hex(got[i])} want ${hex(want[i])}`);
  }
  expect(bad.slice(0, 10)).toEqual([]);
}

function fromHalf(t: HalfTensor, requiresGrad = false): Tensor {
  return tensor(Uint16Array.from(t.bits), { dtype: t.dtype, shape: t.shape, requiresGrad });
}

describe('half conversions match PyTorch 1.13.1 bit for bit', () => {
  for (const src of ['float64', 'float32'] as const) {
    for (const dtype of ['float16', 'bfloat16'] as const) {
      it(`${src} -> ${dtype}: scalar encoder, tensor() and cast()`, () => {
        const c = fx.conversions[src];
        const xs = c.x.map(num);
        expectBits(dtype, xs.map(dtype === 'float16' ? float16Bits : bfloat16Bits), c[dtype], c.x);
        const source = src === 'float64' ? Float64Array.from(xs) : Float32Array.from(xs);
        expectBits(dtype, tensor(source, { dtype }).values, c[dtype], c.x);
        expectBits(dtype, tensor(source).to(dtype).values, c[dtype], c.x);
      });
    }
  }

  it('covers ties, overflow, subnormals, signed zero and NaN', () => {
    const c = fx.conversions.float64;
    const want = new Map(c.x.map((x, i) => [String(x), c.float16[i]]));
    expect(want.get(String(65520))).toBe(0x7c00);
    expect(want.get(String(65504))).toBe(0x7bff);
    expect(want.get(String(2 ** -24))).toBe(0x0001);
    expect(want.get(String(2 ** -25))).toBe(0x0000);
    expect(c.float16[c.x.indexOf('nan')]).toBe(0x7e00);
    // -0 survives JSON as -0 and encodes as 0x8000
    expect(c.float16[c.x.findIndex((x) => Object.is(x, -0))]).toBe(0x8000);
    expect(float16Bits(-0)).toBe(0x8000);
    expect(bfloat16Bits(-0)).toBe(0x8000);
    expect(float16Bits(Number.NaN)).toBe(0x7e00);
    expect(float16Bits(-Number.NaN) & 0x7fff).toBe(0x7e00);
  });

  it('decodes bit patterns like PyTorch (item, toArray, decodeHalf)', () => {
    const d = fx.decode;
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const want = d[dtype].map(num);
      const t = tensor(Uint16Array.from(d.bits), { dtype });
      const arr = t.toArray() as number[];
      const dec = decodeHalf(t.values as Uint16Array, dtype);
      const one = dtype === 'float16' ? float16Value : bfloat16Value;
      for (let i = 0; i < want.length; i++) {
        expect(Object.is(arr[i], want[i]) || (Number.isNaN(arr[i]) && Number.isNaN(want[i]))).toBe(true);
        expect(Object.is(dec[i], want[i]) || (Number.isNaN(dec[i]) && Number.isNaN(want[i]))).toBe(true);
        expect(Object.is(one(d.bits[i]), want[i]) || Number.isNaN(want[i])).toBe(true);
      }
      expect(tensor(Uint16Array.from([d.bits[3]]), { dtype, shape: [] }).item()).toBe(want[3]);
    }
  });
});

describe('half ops match PyTorch 1.13.1 CPU results bit for bit', () => {
  for (const c of fx.ops) {
    it(`${c.op} (${c.dtype})`, () => {
      if (c.grads !== undefined) {
        const [x, y] = c.inputs.map((t) => fromHalf(t, true));
        x.mul(y).add(x).sum().backward();
        for (const [i, g] of [x.grad, y.grad].entries()) {
          expect(g?.dtype).toBe(c.dtype);
          expectBits(c.dtype, (g as Tensor).values, c.grads[i].bits);
        }
        return;
      }
      const ins = c.inputs.map((t) => fromHalf(t));
      const [a, b] = ins;
      let out: Tensor;
      switch (c.op) {
        case 'add':
          out = a.add(b);
          break;
        case 'mul':
          out = a.mul(b);
          break;
        case 'matmul':
        case 'matmul_large':
          out = matmul(a, b);
          break;
        case 'sum':
          out = a.sum();
          break;
        case 'sum_dim1':
          out = a.sum(1);
          break;
        case 'exp':
          out = a.exp();
          break;
        case 'mul_scalar':
          out = a.mul(0.1);
          break;
        case 'add_scalar':
          out = a.add(1);
          break;
        case 'mul_0d_float32':
          out = a.mul(tensor(0.1));
          break;
        case 'div_0d_float64':
          out = a.div(tensor(3, { dtype: 'float64' }));
          break;
        default:
          throw new Error(`unknown op ${c.op}`);
      }
      const want = c.output as HalfTensor;
      expect(out.dtype).toBe(c.dtype);
      expect([...out.shape]).toEqual(want.shape);
      expectBits(c.dtype, out.values, want.bits);
    });
  }

  it('promotes dtypes like PyTorch', () => {
    for (const [p, q, r] of fx.promotion) {
      const out = tensor([1, 1], { dtype: p }).add(tensor([1, 1], { dtype: q }));
      expect(`${p}+${q}=${out.dtype}`).toBe(`${p}+${q}=${r}`);
      expect(out.toArray()).toEqual([2, 2]);
    }
  });
});

describe('nn: Module.to and safetensors with half tensors', () => {
  it('converts parameters, keeps requiresGrad and round-trips through safetensors', async () => {
    const { Linear, loadSafetensors, saveSafetensors } = await import('@nablajs/nn');
    const lin = new Linear(3, 2);
    const w32 = lin.weight.values.slice();
    lin.to('bfloat16');
    expect(lin.weight.dtype).toBe('bfloat16');
    expect(lin.weight.requiresGrad).toBe(true);
    expect(lin.parameters()[0]).toBe(lin.weight);
    expect(lin.stateDict().weight.dtype).toBe('bfloat16');
    expect([...lin.weight.values]).toEqual([...encodeHalfRef(w32)]);
    const y = lin.forward(tensor([[1, 2, 3]], { dtype: 'bfloat16' }));
    expect(y.dtype).toBe('bfloat16');
    y.sum().backward();
    expect(lin.weight.grad?.dtype).toBe('bfloat16');
    const bytes = saveSafetensors({ w: lin.weight });
    const header = new TextDecoder().decode(
      bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))),
    );
    expect(header).toContain('"BF16"');
    expect([...loadSafetensors(bytes, { keepHalf: true }).tensors.w.values]).toEqual([...lin.weight.values]);
    expect(loadSafetensors(bytes).tensors.w.dtype).toBe('float32');
    expect(() => lin.to('int32')).toThrow(/Linear.to/);
  });
});

describe('nn: Module.to on layers that keep parameters in records, and loading into half modules', () => {
  it('BatchNorm1d converts floating buffers and keeps num_batches_tracked int32', async () => {
    const { BatchNorm1d } = await import('@nablajs/nn');
    const bn = new BatchNorm1d(3).to('float16');
    const named = Object.fromEntries(bn.namedBuffers());
    expect(named.running_mean.dtype).toBe('float16');
    expect(named.num_batches_tracked.dtype).toBe('int32');
    expect(bn.weight?.dtype).toBe('float16');
    bn.eval();
    const y = bn.forward(tensor([[1, 2, 3]], { dtype: 'float16' }));
    expect(y.dtype).toBe('float16');
    // eval: (x - 0) / sqrt(1 + 1e-5) * 1 + 0, computed in float32 and rounded
    expect([...y.values]).toEqual([1, 2, 3].map((v) => float16Bits(v / Math.sqrt(1 + 1e-5))));
  });

  it('LSTM forward uses the converted per-layer weights', async () => {
    const { LSTM } = await import('@nablajs/nn');
    const lstm = new LSTM(2, 3);
    const x = tensor([[[0.5, -1]]]);
    const want = lstm.forward(x.to('bfloat16').to('float32')).output;
    lstm.to('bfloat16');
    for (const p of lstm.parameters()) expect(p.dtype).toBe('bfloat16');
    const got = lstm.forward(x.to('bfloat16')).output;
    expect(got.dtype).toBe('bfloat16');
    // rounded weights and per-op rounding: close to the float32 result of the rounded input
    const g = got.toArray() as number[][][];
    const w = want.toArray() as number[][][];
    for (let i = 0; i < 3; i++) expect(Math.abs(g[0][0][i] - w[0][0][i])).toBeLessThan(0.05);
  });

  it('loadStateDict converts float32 entries into half parameters (and back)', async () => {
    const { Linear } = await import('@nablajs/nn');
    const src = new Linear(2, 2);
    const dst = new Linear(2, 2).to('float16');
    dst.loadStateDict(src.stateDict());
    expect([...dst.weight.values]).toEqual(Array.from(src.weight.values, (v) => float16Bits(v)));
    const back = new Linear(2, 2);
    back.loadStateDict(dst.stateDict());
    expect([...back.weight.values]).toEqual(Array.from(dst.weight.values, (b) => float16Value(b)));
  });

  it('saves float16 as F16 and reads it back as float16 with keepHalf', async () => {
    const { loadSafetensors, saveSafetensors } = await import('@nablajs/nn');
    const t = tensor([1, -2.5, 65504, 1e-7], { dtype: 'float16', shape: [2, 2] });
    const bytes = saveSafetensors({ t });
    const back = loadSafetensors(bytes, { keepHalf: true }).tensors.t;
    expect(back.dtype).toBe('float16');
    expect([...back.shape]).toEqual([2, 2]);
    expect([...back.values]).toEqual([...t.values]);
    expect(loadSafetensors(bytes).tensors.t.toArray()).toEqual(t.toArray());
  });
});

describe('optimizers reject half parameters', () => {
  it('sgd and lbfgs throw a DTypeError naming the parameter', async () => {
    const { sgd } = await import('@nablajs/optim-sgd');
    const { lbfgs } = await import('@nablajs/optim-lbfgs');
    const p = tensor([1, 2], { dtype: 'bfloat16', requiresGrad: true });
    expect(() => sgd([p], { lr: 0.1 })).toThrow(/params\[0\] is bfloat16; only float32 and float64/);
    expect(() => lbfgs([p])).toThrow(/params\[0\] is bfloat16; only float32 and float64/);
  });
});

function encodeHalfRef(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => bfloat16Bits(v));
}
