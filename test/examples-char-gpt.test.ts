// Smoke test of examples/char-gpt: a very small GPT trained for a few steps on tiny Shakespeare learns
// (the loss falls from ln(65)), samples only characters of the vocabulary, and the model is causal and
// built as nanoGPT's (parameter count, initialisation, learning-rate schedule).
import { Generator, Tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { learningRate, trainCharGpt } from '../examples/char-gpt/main';
import { GPT } from '../examples/char-gpt/model';

describe('examples/char-gpt', () => {
  it('a 1-layer, 16-wide GPT: the loss falls from ln(65) in 40 steps; the sample has the requested length', async () => {
    const lines: string[] = [];
    const r = await trainCharGpt({
      nLayer: 1,
      nHead: 2,
      nEmbd: 16,
      blockSize: 16,
      batchSize: 8,
      lr: 1e-2,
      warmupIters: 0,
      maxIters: 40,
      evalInterval: 20,
      evalBatches: 2,
      sampleLength: 120,
      log: (line) => lines.push(line),
    });
    console.log(
      `char-gpt: val loss ${r.history[0].valLoss.toFixed(3)} -> ${r.history.at(-1)?.valLoss.toFixed(3)}, ${r.seconds.toFixed(1)} s`,
    );
    expect(r.steps).toBe(40);
    expect(r.stopReason).toBe('maxIters');
    expect(r.history.map((e) => e.step)).toEqual([0, 20, 40]);
    expect(r.stepLosses).toHaveLength(40);
    // the initial logits are near zero: about ln(65) nats per character
    expect(Math.abs(r.history[0].valLoss - Math.log(65))).toBeLessThan(0.1);
    expect(r.history[2].trainLoss).toBeLessThan(r.history[0].trainLoss - 0.5);
    expect(r.history[2].valLoss).toBeLessThan(r.history[0].valLoss - 0.5);
    expect(r.sample).toHaveLength(120);
    for (const ch of r.sample) expect(r.vocab.has(ch)).toBe(true);
    expect(lines[0]).toMatch(/parameters; vocabulary of 65/);
  });

  it("nanoGPT's sizes and init: 804,096 parameters for 4 layers of width 128 (tied head), residual projections scaled", () => {
    const [V, T, C, L] = [65, 64, 128, 4];
    const model = new GPT({ vocabSize: V, blockSize: T, generator: new Generator(0) });
    // wte + wpe + per block (two LayerNorm weights, qkv, proj, MLP up and down) + final LayerNorm
    expect(model.numParameters()).toBe(V * C + T * C + L * (2 * C + 3 * C * C + C * C + 8 * C * C) + C);
    const untied = new GPT({ vocabSize: V, blockSize: T, tieWeights: false, bias: true, generator: new Generator(0) });
    const biases = L * (2 * C + 3 * C + C + 4 * C + C) + C;
    expect(untied.numParameters()).toBe(model.numParameters() + V * C + biases);
    const std = (t: Tensor) => {
      const v = t.values;
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i] * v[i];
      return Math.sqrt(s / v.length);
    };
    const named = new Map(model.namedParameters());
    expect(std(named.get('h.0.attn.c_attn.weight') as Tensor)).toBeCloseTo(0.02, 3);
    expect(std(named.get('wte.weight') as Tensor)).toBeCloseTo(0.02, 2);
    expect(std(named.get('h.3.mlp.c_proj.weight') as Tensor)).toBeCloseTo(0.02 / Math.sqrt(2 * L), 3);
    expect(named.has('lm_head.weight')).toBe(false);
  });

  it('is causal: changing the id at position t leaves the logits before t unchanged', () => {
    const model = new GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, generator: new Generator(1) });
    const a = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const b = a.slice();
    b[5] = 0;
    const la = model.forward(new Tensor(a, [1, 8], 'int32')).values;
    const lb = model.forward(new Tensor(b, [1, 8], 'int32')).values;
    expect(Array.from(la.subarray(0, 5 * 11))).toEqual(Array.from(lb.subarray(0, 5 * 11)));
    expect(Array.from(la.subarray(5 * 11))).not.toEqual(Array.from(lb.subarray(5 * 11)));
    expect(() => model.forward(new Tensor(new Int32Array(9), [1, 9], 'int32'))).toThrow(/longer than blockSize 8/);
    expect(() => new GPT({ vocabSize: 5, blockSize: 4, nHead: 3, nEmbd: 8 })).toThrow(ValueError);
  });

  it('generate with topK 1 is greedy: each id is the argmax of the last logits', () => {
    const model = new GPT({ vocabSize: 7, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 8, generator: new Generator(2) });
    const out = model.generate(Int32Array.from([3]), 6, { topK: 1, generator: new Generator(0) });
    expect(out).toHaveLength(6);
    const ids = [3];
    for (const id of out) {
      const context = ids.slice(-4);
      const logits = model.forward(new Tensor(Int32Array.from(context), [1, context.length], 'int32')).values;
      const last = Array.from(logits.subarray((context.length - 1) * 7));
      expect(id).toBe(last.indexOf(Math.max(...last)));
      ids.push(id);
    }
    expect(model.training).toBe(true);
    expect(() => model.generate(Int32Array.from([1]), 2, { temperature: 0, generator: new Generator(0) })).toThrow(
      /temperature must be > 0/,
    );
  });

  it("the learning rate: nanoGPT's linear warm-up, then cosine decay to minLr", () => {
    expect(learningRate(0, 1e-3, 1e-4, 100, 2000)).toBeCloseTo(1e-3 / 101, 12);
    expect(learningRate(100, 1e-3, 1e-4, 100, 2000)).toBeCloseTo(1e-3, 12);
    expect(learningRate(1050, 1e-3, 1e-4, 100, 2000)).toBeCloseTo(5.5e-4, 12); // halfway: the mean
    expect(learningRate(2000, 1e-3, 1e-4, 100, 2000)).toBeCloseTo(1e-4, 12);
    expect(learningRate(2500, 1e-3, 1e-4, 100, 2000)).toBe(1e-4);
    // a time budget half used at step 200 of 2000: the decay is halfway
    expect(learningRate(200, 1e-3, 1e-4, 100, 2000, 0.5)).toBeCloseTo(5.5e-4, 12);
    expect(learningRate(200, 1e-3, 1e-4, 100, 2000, 1)).toBeCloseTo(1e-4, 12);
    expect(learningRate(1050, 1e-3, 1e-4, 100, 2000, 0.1)).toBeCloseTo(5.5e-4, 12); // the steps lead
  });
});
