import { add, gradients, mul, sum, type Tensor } from '@nablajs/core';
import {
  GRU,
  LSTM,
  type PackedSequence,
  packPaddedSequence,
  packSequence,
  padPackedSequence,
  padSequence,
  RNN,
} from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, equalInts, type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of torch.nn.utils.rnn and of the recurrent layers on packed sequences (see
// test/fixtures/README.md, section packed-sequence.json).

interface PackCase {
  id: string;
  input: FixtureTensor;
  lengths: number[];
  batch_first: boolean;
  enforce_sorted: boolean;
  data: FixtureTensor;
  batch_sizes: FixtureTensor;
  sorted_indices: FixtureTensor | null;
  unsorted_indices: FixtureTensor | null;
  padding_value: number;
  total_length: number | null;
  padded: FixtureTensor;
  padded_lengths: FixtureTensor;
  upstream: FixtureTensor;
  grad_input: FixtureTensor;
}
interface PadCase {
  id: string;
  sequences: FixtureTensor[];
  batch_first: boolean;
  padding_value: number;
  padded: FixtureTensor;
  packed_data: FixtureTensor;
  packed_batch_sizes: FixtureTensor;
  sorted_indices: FixtureTensor;
}
interface RnnCase {
  id: string;
  module: 'RNN' | 'LSTM' | 'GRU';
  args: [number, number];
  options: {
    nonlinearity?: 'tanh' | 'relu';
    num_layers?: number;
    bidirectional?: boolean;
    batch_first?: boolean;
    proj_size?: number;
  };
  state_dict: [string, FixtureTensor][];
  input: FixtureTensor;
  lengths: number[];
  h0: FixtureTensor | null;
  c0: FixtureTensor | null;
  out_data: FixtureTensor;
  h: FixtureTensor;
  c: FixtureTensor | null;
  padded: FixtureTensor;
  upstream_out: FixtureTensor;
  upstream_h: FixtureTensor;
  upstream_c: FixtureTensor | null;
  grads: [string, FixtureTensor][];
}

const fixture = loadFixture<{ torch_version: string; pack: PackCase[]; pad: PadCase[]; rnn: RnnCase[] }>(
  'packed-sequence.json',
);

function tolOf(t: FixtureTensor): { rel: number } {
  return { rel: t.dtype === 'float64' ? 1e-12 : 1e-5 };
}

describe('packed sequences against PyTorch 1.13.1', () => {
  it('covers the fixture', () => {
    expect(fixture.torch_version).toMatch(/^1\.13/);
    expect([fixture.pack.length, fixture.pad.length, fixture.rnn.length]).toEqual([7, 2, 8]);
  });

  for (const c of fixture.pack) {
    it(`pack and pad ${c.id}: the packed layout, the padded output and the gradient`, () => {
      const tol = tolOf(c.input);
      const x = fromFixture(c.input, { requiresGrad: true });
      const packed = packPaddedSequence(x, c.lengths, { batchFirst: c.batch_first, enforceSorted: c.enforce_sorted });
      closeTo(packed.data, c.data, tol, 'data');
      equalInts(packed.batchSizes, c.batch_sizes, 'batchSizes');
      if (c.sorted_indices === null) expect(packed.sortedIndices).toBeNull();
      else equalInts(packed.sortedIndices as Tensor, c.sorted_indices, 'sortedIndices');
      if (c.unsorted_indices === null) expect(packed.unsortedIndices).toBeNull();
      else equalInts(packed.unsortedIndices as Tensor, c.unsorted_indices, 'unsortedIndices');
      const { output, lengths } = padPackedSequence(packed, {
        batchFirst: c.batch_first,
        paddingValue: c.padding_value,
        totalLength: c.total_length,
      });
      closeTo(output, c.padded, tol, 'padded');
      equalInts(lengths, c.padded_lengths, 'lengths');
      const [g] = gradients([sum(mul(output, fromFixture(c.upstream)))], [x]);
      closeTo(g as Tensor, c.grad_input, tol, 'grad input');
    });
  }

  for (const c of fixture.pad) {
    it(`padSequence and packSequence ${c.id}`, () => {
      const seqs = c.sequences.map((s) => fromFixture(s));
      closeTo(
        padSequence(seqs, { batchFirst: c.batch_first, paddingValue: c.padding_value }),
        c.padded,
        tolOf(c.padded),
        'padded',
      );
      const packed = packSequence(seqs, { enforceSorted: false });
      closeTo(packed.data, c.packed_data, tolOf(c.packed_data), 'packed data');
      equalInts(packed.batchSizes, c.packed_batch_sizes, 'batchSizes');
      equalInts(packed.sortedIndices as Tensor, c.sorted_indices, 'sortedIndices');
    });
  }

  for (const c of fixture.rnn) {
    it(`${c.id} on a packed batch: output, final states and every gradient`, () => {
      const tol = tolOf(c.input);
      const dtype = c.input.dtype === 'float64' ? 'float64' : 'float32';
      const o = c.options;
      const common = {
        numLayers: o.num_layers,
        bidirectional: o.bidirectional,
        batchFirst: o.batch_first,
        dtype,
      } as const;
      const [inputSize, hiddenSize] = c.args;
      const m =
        c.module === 'LSTM'
          ? new LSTM(inputSize, hiddenSize, { ...common, projSize: o.proj_size })
          : c.module === 'GRU'
            ? new GRU(inputSize, hiddenSize, common)
            : new RNN(inputSize, hiddenSize, { ...common, nonlinearity: o.nonlinearity });
      m.loadStateDict(Object.fromEntries(c.state_dict.map(([k, t]) => [k, fromFixture(t)])));
      const x = fromFixture(c.input, { requiresGrad: true });
      const h0 = c.h0 === null ? null : fromFixture(c.h0, { requiresGrad: true });
      const c0 = c.c0 === null ? null : fromFixture(c.c0, { requiresGrad: true });
      const packed = packPaddedSequence(x, c.lengths, { batchFirst: o.batch_first ?? false, enforceSorted: false });
      let out: PackedSequence;
      let h: Tensor;
      let cn: Tensor | null = null;
      if (m instanceof LSTM) {
        const r = m.forward(packed, h0 === null ? null : [h0, c0 as Tensor]);
        out = r.output;
        h = r.h;
        cn = r.c;
      } else {
        const r = (m as RNN).forward(packed, h0);
        out = r.output;
        h = r.h;
      }
      closeTo(out.data, c.out_data, tol, 'output data');
      expect(out.batchSizes).toBe(packed.batchSizes);
      closeTo(h, c.h, tol, 'h');
      if (c.c !== null) closeTo(cn as Tensor, c.c, tol, 'c');
      closeTo(padPackedSequence(out, { batchFirst: o.batch_first ?? false }).output, c.padded, tol, 'padded output');
      let loss = add(sum(mul(out.data, fromFixture(c.upstream_out))), sum(mul(h, fromFixture(c.upstream_h))));
      if (c.upstream_c !== null) loss = add(loss, sum(mul(cn as Tensor, fromFixture(c.upstream_c))));
      const named: [string, Tensor][] = [['input', x]];
      if (h0 !== null) named.push(['h0', h0]);
      if (c0 !== null) named.push(['c0', c0]);
      named.push(...m.namedParameters());
      expect(named.map(([n]) => n)).toEqual(c.grads.map(([n]) => n));
      const grads = gradients(
        [loss],
        named.map(([, t]) => t),
      );
      for (let i = 0; i < named.length; i++)
        closeTo(grads[i] as Tensor, c.grads[i][1], { rel: tol.rel * 10 }, `grad of ${named[i][0]}`);
    });
  }
});
