import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { noGrad, type Tensor } from '@nablajs/core';
import {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  crossEntropy,
  Flatten,
  Linear,
  loadSafetensors,
  MaxPool2d,
  ReLU,
  Sequential,
  saveSafetensors,
} from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, equalInts, type FixtureTensor, fromFixture, loadFixture, opsTolerance } from './helpers/fixtures';

/** test/fixtures/cnn_reference.json, written by scripts/fixtures/make_cnn_fixture.py (see test/fixtures/README.md). */
interface CnnFixture {
  torch_version: string;
  dtype: 'float64';
  batchnorm_mode: 'train';
  architecture: string[];
  state_dict: Record<string, FixtureTensor>;
  input: FixtureTensor;
  targets: FixtureTensor;
  logits: FixtureTensor;
  loss: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  state_dict_after: Record<string, FixtureTensor>;
  eval_logits: FixtureTensor;
}

const fixture = loadFixture<CnnFixture>('cnn_reference.json');
const tol = opsTolerance('float64');

/** The model of make_cnn_fixture.py, layer for layer. */
function buildModel(): Sequential {
  return new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, dtype: 'float64' }),
    new BatchNorm2d(4, { dtype: 'float64' }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(4, 8, 3, { padding: 1, dtype: 'float64' }),
    new ReLU(),
    new AvgPool2d(2),
    new Flatten(),
    new Linear(32, 5, { dtype: 'float64' }),
  );
}

function torchStateDict(): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(fixture.state_dict)) out[name] = fromFixture(t);
  return out;
}

function modelFromJson(): Sequential {
  const model = buildModel();
  model.loadStateDict(torchStateDict());
  return model;
}

describe('a small CNN against PyTorch (test/fixtures/cnn_reference.json)', () => {
  it('records what the test rebuilds: float64, BatchNorm in train mode, the same layers', () => {
    expect(fixture.dtype).toBe('float64');
    expect(fixture.batchnorm_mode).toBe('train');
    expect(fixture.architecture.map((s) => s.slice(0, s.indexOf('(')))).toEqual([
      'Conv2d',
      'BatchNorm2d',
      'ReLU',
      'MaxPool2d',
      'Conv2d',
      'ReLU',
      'AvgPool2d',
      'Flatten',
      'Linear',
    ]);
  });

  it('has the same state-dict names as PyTorch, BatchNorm buffers included', () => {
    const names = Object.keys(buildModel().stateDict());
    expect(names).toEqual(Object.keys(fixture.state_dict));
    expect(names).toContain('1.running_mean');
    expect(names).toContain('1.num_batches_tracked');
  });

  it("matches PyTorch's logits, loss and the gradients of every parameter and of the input", () => {
    const model = modelFromJson();
    const x = fromFixture(fixture.input, { requiresGrad: true });
    const inputBefore = Float64Array.from(x.data);
    const logits = model.forward(x) as Tensor;
    closeTo(logits, fixture.logits, tol, 'logits');
    const loss = crossEntropy(logits, fromFixture(fixture.targets));
    closeTo(loss, fixture.loss, tol, 'loss');
    loss.backward();

    const params = new Map(model.namedParameters());
    expect([...params.keys(), 'input'].sort()).toEqual(Object.keys(fixture.grads).sort());
    for (const [name, p] of params) {
      expect(p.grad, name).not.toBeNull();
      closeTo(p.grad as Tensor, fixture.grads[name], tol, `grad of ${name}`);
    }
    closeTo(x.grad as Tensor, fixture.grads.input, tol, 'grad of input');
    expect(x.data).toEqual(inputBefore);
  });

  it("updates the BatchNorm running statistics as PyTorch's train-mode pass did, then evaluates with them", () => {
    const model = modelFromJson();
    const x = fromFixture(fixture.input);
    model.forward(x);
    const sd = model.stateDict();
    for (const [name, want] of Object.entries(fixture.state_dict_after)) {
      if (want.dtype === 'int64') equalInts(sd[name], want, name);
      else closeTo(sd[name], want, tol, name);
    }
    expect(sd['1.num_batches_tracked'].item()).toBe(4);
    model.eval();
    closeTo(
      noGrad(() => model.forward(x) as Tensor),
      fixture.eval_logits,
      tol,
      'eval logits',
    );
  });
});

describe('the same CNN weights from a safetensors file written by another implementation', () => {
  const path = fileURLToPath(new URL('./fixtures/cnn_reference.safetensors', import.meta.url));
  const file = loadSafetensors(readFileSync(path));

  it('holds exactly the state dict of the JSON fixture', () => {
    expect({ ...file.metadata }).toEqual({ format: 'pt' });
    expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(fixture.state_dict).sort());
    for (const [name, want] of Object.entries(fixture.state_dict)) {
      const got = file.tensors[name];
      expect(got.dtype, name).toBe(want.dtype === 'int64' ? 'int32' : 'float64');
      closeTo(got, want, { rel: 0 }, name);
    }
  });

  it("loads strictly into the model under PyTorch's names and gives PyTorch logits and loss", () => {
    const model = buildModel();
    expect(model.loadStateDict(file.tensors)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const logits = model.forward(fromFixture(fixture.input)) as Tensor;
    closeTo(logits, fixture.logits, tol, 'logits');
    closeTo(crossEntropy(logits, fromFixture(fixture.targets)), fixture.loss, tol, 'loss');
  });

  it('round-trips through nabla: saveSafetensors(model.stateDict()) loads into a fresh model with identical outputs', () => {
    const model = modelFromJson();
    const restored = buildModel();
    restored.loadStateDict(loadSafetensors(saveSafetensors(model.stateDict())).tensors);
    const x = fromFixture(fixture.input);
    model.eval();
    restored.eval();
    const a = noGrad(() => model.forward(x) as Tensor);
    const b = noGrad(() => restored.forward(x) as Tensor);
    expect(b.shape).toEqual([3, 5]);
    expect(b.data).toEqual(a.data);
    const original = model.stateDict();
    for (const [name, t] of Object.entries(restored.stateDict())) expect(t.data, name).toEqual(original[name].data);
  });
});
