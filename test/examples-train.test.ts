// Smoke tests of the training examples (spirals, digits, MNIST, checkpoint and resume), run with small
// sizes, asserting the outcomes their READMEs describe; and fit() with L-BFGS, whose step needs a closure.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, randn } from '@nablajs/core';
import { bundledMnistTestDir } from '@nablajs/data/node';
import { Linear, mseLoss } from '@nablajs/nn';
import { lbfgs } from '@nablajs/optim-lbfgs';
import { fit } from '@nablajs/train';
import { afterAll, describe, expect, it } from 'vitest';
import { crashAndResume } from '../examples/checkpoint-resume/main';
import { trainDigits } from '../examples/digits/main';
import { trainMnist } from '../examples/mnist/main';
import { decisionMap, trainSpirals } from '../examples/spirals/main';

const root = mkdtempSync(join(tmpdir(), 'nabla-examples-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('examples/spirals', () => {
  it('a 2 -> 32 -> 32 -> 2 tanh MLP separates two spirals: > 90% on independent test points', async () => {
    const r = await trainSpirals({ epochs: 60 });
    console.log(`spirals: ${(r.testAccuracy * 100).toFixed(1)}% test accuracy, ${r.seconds.toFixed(1)} s`);
    expect(r.history).toHaveLength(60);
    expect(r.history[0].valAccuracy).toBeLessThan(0.7); // not separable at the start
    expect(r.testAccuracy).toBeGreaterThan(0.9);
    const map = decisionMap(r.model, 16).split('\n');
    expect(map).toHaveLength(16);
    // the centre is where the spirals meet; both classes appear on the map
    expect(map.join('')).toMatch(/o/);
    expect(map.join('')).toMatch(/x/);
  });
});

describe('examples/digits', () => {
  it('split 70/15/15, standardised, an MLP reaches > 90% on the test split in 4 epochs', async () => {
    const r = await trainDigits({ epochs: 4 });
    console.log(
      `digits: ${(r.test.accuracy * 100).toFixed(2)}% test accuracy after 4 epochs, ${r.seconds.toFixed(1)} s`,
    );
    expect(r.sizes).toEqual([1257, 270, 270]);
    expect(r.history).toHaveLength(4);
    expect(r.stopReason).toBeNull();
    expect(r.test.accuracy).toBeGreaterThan(0.9);
    expect(r.history[3].loss).toBeLessThan(r.history[0].loss / 3);
    expect(r.predicted).toHaveLength(20);
    const right = r.predicted.filter((c, i) => c === r.actual[i]).length;
    expect(right).toBeGreaterThanOrEqual(17);
  });
});

describe('examples/mnist', () => {
  it('from the bundled directory, 2,000 train / 500 test images, 2 epochs of batches of 32: an MLP reaches > 85%', async () => {
    const r = await trainMnist({
      dir: bundledMnistTestDir(),
      trainSize: 2000,
      testSize: 500,
      epochs: 2,
      batchSize: 32,
    });
    console.log(`MNIST: ${(r.testAccuracy * 100).toFixed(2)}% on 500 test images, ${r.seconds.toFixed(1)} s`);
    expect([r.trainSize, r.testSize]).toEqual([2000, 500]);
    expect(r.source).toMatch(/t10k only/);
    expect(r.history).toHaveLength(2);
    expect(r.testAccuracy).toBeGreaterThan(0.85);
  });
});

describe('examples/checkpoint-resume', () => {
  it('a run that crashes mid-epoch and resumes from its newest checkpoint equals an uninterrupted run bit for bit', async () => {
    const dir = join(root, 'resume');
    // 400 images: 13 batches per epoch; checkpoints every epoch and every 10 steps; crash after step 25
    const r = await crashAndResume(dir, { epochs: 3, everySteps: 10, crashAfterStep: 25, samples: 400 });
    expect(r.resumedAt).toEqual({ epoch: 1, batch: 7, globalStep: 20 }); // mid-epoch: 13 + 7 batches
    expect(r.uninterrupted).toHaveLength(39);
    expect(r.resumed).toEqual(r.uninterrupted);
    // keepLast: 3 keeps the newest three: the end of epoch 1 (step 26), step 30, and the end of epoch 2 (step 39)
    expect(r.files).toEqual([
      'epoch-0001-step-00000026.safetensors',
      'epoch-0002-step-00000030.safetensors',
      'epoch-0002-step-00000039.safetensors',
    ]);
    for (const file of r.files) expect(existsSync(join(dir, file))).toBe(true);
  });
});

describe('fit with L-BFGS', () => {
  it('steps with a closure over the current batch and fits a linear regression to the noise level', async () => {
    const gen = new Generator(0);
    const x = randn([64, 3], { generator: gen });
    const y = x
      .matmul(randn([3, 1], { generator: gen }))
      .add(0.5)
      .add(randn([64, 1], { generator: gen }).mul(0.01));
    const model = new Linear(3, 1, { generator: gen });
    const optimizer = lbfgs(model.parameters(), { lineSearchFn: 'strong_wolfe' });
    // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
    const { history } = await fit({ model, data: { x, y }, loss: mseLoss, optimizer, epochs: 3 });
    expect(history[0].loss).toBeGreaterThan(0.1);
    expect(history[2].loss).toBeLessThan(2e-4); // the noise variance is 1e-4
    expect(optimizer.funcEvals).toBeGreaterThan(3); // several evaluations per step: the closure ran
  });
});
