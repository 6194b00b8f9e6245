import { Generator, type Tensor, tensor } from '@nablajs/core';
import { crossEntropy, Dropout, Linear, loadSafetensors, ReLU, Sequential, saveSafetensors } from '@nablajs/nn';
import { type Optimizer, stepLR } from '@nablajs/optim';
import { adam } from '@nablajs/optim-adam';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import { captureCheckpoint, modelSignature } from './capture-checkpoint';
import { type Checkpoint, CheckpointError } from './checkpoint';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint } from './checkpoint-format';
import { restoreCheckpoint } from './restore-checkpoint';
import { isStateful, type Stateful, statefulPlugins } from './stateful';
import type { TrainPlugin } from './types';

/** A model with dropout whose masks come from `dropoutGen`, and weights from a seeded generator. */
function makeModel(seed: number, dropoutGen: Generator, hidden = 6) {
  const init = new Generator(seed);
  return new Sequential(
    new Linear(4, hidden, { generator: init }),
    new ReLU(),
    new Dropout(0.3, { generator: dropoutGen }),
    new Linear(hidden, 3, { generator: init }),
  );
}

const x = tensor([
  [0.1, -0.4, 0.7, 1.2],
  [1.5, 0.3, -0.8, 0.05],
  [-0.9, 0.6, 0.2, -1.1],
  [0.4, 0.4, -0.3, 0.9],
]);
const y = tensor([0, 2, 1, 2], { dtype: 'int32' });

/** One manual training step; returns the loss. */
function step(model: Sequential, optimizer: Optimizer): number {
  optimizer.zeroGrad();
  const loss = crossEntropy(model.forward(x), y);
  loss.backward();
  optimizer.step();
  return loss.item();
}

interface Run {
  model: Sequential;
  optimizer: Optimizer;
  scheduler: ReturnType<typeof stepLR>;
  dropoutGen: Generator;
  dataGen: Generator;
}

function makeRun(seed = 1): Run {
  const dropoutGen = new Generator(7);
  const model = makeModel(seed, dropoutGen);
  const optimizer = adam(model.parameters(), { lr: 0.01 });
  const scheduler = stepLR(optimizer, { stepSize: 2, gamma: 0.5 });
  return { model, optimizer, scheduler, dropoutGen, dataGen: new Generator(3) };
}

function target(run: Run) {
  return {
    model: run.model,
    optimizer: run.optimizer,
    generators: [run.dataGen, run.dropoutGen],
    states: { scheduler: run.scheduler },
  };
}

function advance(run: Run, steps: number): number[] {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(step(run.model, run.optimizer));
    run.scheduler.step();
    run.dataGen.uniform();
  }
  return losses;
}

function snapshot(model: Sequential): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(model.stateDict())) out[k] = Array.from(t.data);
  return out;
}

describe('captureCheckpoint / encodeCheckpoint / decodeCheckpoint / restoreCheckpoint', () => {
  it('round-trips through bytes and continues bit for bit (Adam, dropout, scheduler, generators)', () => {
    const reference = makeRun();
    const first = advance(reference, 3);
    const bytes = encodeCheckpoint(
      captureCheckpoint(target(reference), {
        epoch: 3,
        globalStep: 3,
        history: [{ loss: first[0] }, { loss: Number.NaN, valLoss: Number.POSITIVE_INFINITY }],
      }),
    );
    const expected = advance(reference, 4);

    const resumed = makeRun(99); // different initial weights: all of them must come from the file
    const ckpt = decodeCheckpoint(bytes, 'run.safetensors');
    restoreCheckpoint(ckpt, target(resumed), { source: 'run.safetensors' });
    const got = advance(resumed, 4);
    for (let i = 0; i < expected.length; i++) expect(got[i]).toBe(expected[i]);
    expect(snapshot(resumed.model)).toEqual(snapshot(reference.model));
    expect(resumed.scheduler.getLastLr()).toEqual(reference.scheduler.getLastLr());
    expect(resumed.dataGen.nextUint32()).toBe(reference.dataGen.nextUint32());
    expect(resumed.dropoutGen.normal()).toBe(reference.dropoutGen.normal());

    expect(ckpt.epoch).toBe(3);
    expect(ckpt.batch).toBe(0);
    expect(ckpt.globalStep).toBe(3);
    expect(ckpt.version).toBe(CHECKPOINT_VERSION);
    expect(ckpt.history[0].loss).toBe(first[0]);
    expect(ckpt.history[1].loss).toBeNaN();
    expect(ckpt.history[1].valLoss).toBe(Number.POSITIVE_INFINITY);
  });

  it('writes one safetensors file: model.* and state.* tensors and JSON metadata any reader can inspect', () => {
    const run = makeRun();
    advance(run, 1);
    const { tensors, metadata } = loadSafetensors(
      encodeCheckpoint(captureCheckpoint(target(run), { epoch: 1, globalStep: 1 })),
    );
    expect(metadata.format).toBe(CHECKPOINT_FORMAT);
    expect(metadata.version).toBe('1');
    expect(JSON.parse(metadata.position)).toEqual({ epoch: 1, batch: 0, globalStep: 1 });
    expect(JSON.parse(metadata.signature)[0]).toEqual({ name: '0.weight', shape: [6, 4], dtype: 'float32' });
    expect(metadata.checksum).toMatch(/^[0-9a-f]{8}$/);
    expect(Object.keys(tensors).filter((k) => k.startsWith('model.'))).toEqual(
      expect.arrayContaining(['model.0.weight', 'model.0.bias', 'model.3.weight', 'model.3.bias']),
    );
    // Adam's two moment buffers per parameter are exact float32 tensors, not JSON numbers.
    const states = Object.keys(tensors).filter((k) => k.startsWith('state.'));
    expect(states.length).toBeGreaterThanOrEqual(8);
    expect(tensors['model.0.weight'].data).toEqual(run.model.stateDict()['0.weight'].data);
    expect(metadata.optimizer).toContain('"name":"adam"');
    expect(metadata.optimizer).toContain('nabla:encoded');
  });

  it('keeps float32 and float64 state arrays, NaN and infinities exact', () => {
    const values = new Float32Array([0.1, -3.4028234663852886e38, 1e-45]);
    const holder: Stateful & { state: unknown } = {
      state: {
        f32: values,
        f64: new Float64Array([Math.PI, Number.NaN]),
        i32: new Int32Array([-7, 2 ** 31 - 1]),
        best: Number.NEGATIVE_INFINITY,
        nested: [{ $typed: 'float64', data: [0.1, 0.2] }],
      },
      stateDict() {
        return this.state;
      },
      loadStateDict(s: unknown) {
        this.state = s;
      },
    };
    const model = new Linear(2, 1, { generator: new Generator(0) });
    const bytes = encodeCheckpoint(captureCheckpoint({ model, states: { holder } }, { epoch: 0, globalStep: 0 }));
    const fresh: Stateful & { state: unknown } = { ...holder, state: null };
    restoreCheckpoint(decodeCheckpoint(bytes), { model, states: { holder: fresh } });
    const s = fresh.state as Record<string, unknown>;
    expect(s.f32).toBeInstanceOf(Float32Array);
    expect(Array.from(s.f32 as Float32Array)).toEqual(Array.from(values));
    expect((s.f64 as Float64Array)[0]).toBe(Math.PI);
    expect((s.f64 as Float64Array)[1]).toBeNaN();
    expect(Array.from(s.i32 as Int32Array)).toEqual([-7, 2 ** 31 - 1]);
    expect(s.best).toBe(Number.NEGATIVE_INFINITY);
    expect(s.nested).toEqual([{ $typed: 'float64', data: [0.1, 0.2] }]);
  });

  it('stores tensors in states with their shape and dtype, and refuses class instances at capture', () => {
    const model = new Linear(1, 1, { generator: new Generator(0) });
    const weights = tensor(
      [
        [1.5, -2],
        [0.25, 3],
      ],
      { dtype: 'float64' },
    );
    let restored: unknown = null;
    const holder: Stateful = {
      stateDict: () => ({ weights }),
      loadStateDict(s) {
        restored = s;
      },
    };
    const ckpt = decodeCheckpoint(
      encodeCheckpoint(captureCheckpoint({ model, states: { holder } }, { epoch: 0, globalStep: 0 })),
    );
    restoreCheckpoint(ckpt, { model, states: { holder } });
    const back = (restored as { weights: Tensor }).weights;
    expect(back).not.toBe(weights);
    expect(back.shape).toEqual([2, 2]);
    expect(back.dtype).toBe('float64');
    expect(back.toArray()).toEqual([
      [1.5, -2],
      [0.25, 3],
    ]);
    const bad: Stateful = { stateDict: () => ({ seen: new Map() }), loadStateDict: () => {} };
    expect(() => captureCheckpoint({ model, states: { bad } }, { epoch: 0, globalStep: 0 })).toThrow(
      /captureCheckpoint: states\.bad\.seen is a Map; states hold plain objects, arrays, numbers, strings, booleans, typed arrays and tensors/,
    );
  });

  it('does not alias the captured state: a checkpoint restored twice gives independent buffers', () => {
    const holder: { buf: Float64Array } = { buf: new Float64Array([1, 2]) };
    const stateful: Stateful = {
      stateDict: () => ({ buf: holder.buf }),
      loadStateDict: (s) => {
        holder.buf = (s as { buf: Float64Array }).buf;
      },
    };
    const model = new Linear(1, 1, { generator: new Generator(0) });
    const ckpt = captureCheckpoint({ model, states: { s: stateful } }, { epoch: 0, globalStep: 0 });
    holder.buf[0] = 100; // mutate after capture: the checkpoint keeps the old value
    restoreCheckpoint(ckpt, { model, states: { s: stateful } });
    expect(Array.from(holder.buf)).toEqual([1, 2]);
    const restored = holder.buf;
    restoreCheckpoint(ckpt, { model, states: { s: stateful } });
    expect(holder.buf).not.toBe(restored);
  });

  it('rejects a checkpoint of a different model before changing anything, naming names and shapes', () => {
    const run = makeRun();
    advance(run, 2);
    const bytes = encodeCheckpoint(captureCheckpoint(target(run), { epoch: 2, globalStep: 2 }));
    const other: Run = { ...makeRun(5) };
    other.model = makeModel(5, other.dropoutGen, 8);
    other.optimizer = adam(other.model.parameters(), { lr: 0.01 });
    other.scheduler = stepLR(other.optimizer, { stepSize: 2 });
    const before = snapshot(other.model);
    const optBefore = JSON.stringify(other.optimizer.stateDict());
    const genBefore = other.dataGen.getState();
    const attempt = () =>
      restoreCheckpoint(decodeCheckpoint(bytes, 'a.safetensors'), target(other), { source: 'a.safetensors' });
    expect(attempt).toThrow(CheckpointError);
    expect(attempt).toThrow(
      /^a\.safetensors was saved from a different model: "0\.weight" has shape \[6,4\] in the checkpoint, \[8,4\] in the model; .*"3\.weight" has shape \[3,6\] in the checkpoint, \[3,8\] in the model/,
    );
    expect(snapshot(other.model)).toEqual(before);
    expect(JSON.stringify(other.optimizer.stateDict())).toBe(optBefore);
    expect(other.dataGen.getState()).toEqual(genBefore);

    const renamed = new Sequential(new Linear(4, 6), new ReLU(), new Linear(6, 3));
    expect(() => restoreCheckpoint(decodeCheckpoint(bytes), { model: renamed })).toThrow(
      /checkpoint was saved from a different model: the checkpoint lacks "2\.weight", "2\.bias"; the model lacks "3\.weight", "3\.bias"/,
    );
  });

  it('rejects a different dtype, optimizer, generator count and unmatched states', () => {
    const run = makeRun();
    const ckpt = decodeCheckpoint(encodeCheckpoint(captureCheckpoint(target(run), { epoch: 0, globalStep: 0 })));
    const f64 = new Sequential(
      new Linear(4, 6, { dtype: 'float64' }),
      new ReLU(),
      new Dropout(0.3),
      new Linear(6, 3, { dtype: 'float64' }),
    );
    expect(() => restoreCheckpoint(ckpt, { model: f64 })).toThrow(
      /"0\.weight" is float32 in the checkpoint, float64 in the model/,
    );

    const fresh = makeRun();
    const plain = sgd(fresh.model.parameters(), { lr: 0.1 });
    expect(() => restoreCheckpoint(ckpt, { ...target(fresh), optimizer: plain })).toThrow(
      /holds the state of optimizer "adam", but the optimizer given is "sgd"/,
    );
    expect(() => restoreCheckpoint(ckpt, { ...target(fresh), generators: [fresh.dataGen] })).toThrow(
      /holds the states of 2 generators, but 1 were given/,
    );
    expect(() => restoreCheckpoint(ckpt, { ...target(fresh), states: { sched: fresh.scheduler } })).toThrow(
      /no saved state for "sched"; saved states nobody takes: "scheduler"/,
    );
    // Without strict, unmatched states and extra generator states are skipped.
    restoreCheckpoint(ckpt, { ...target(fresh), states: {}, generators: [fresh.dataGen] }, { strict: false });
    expect(fresh.dataGen.getState()).toEqual(ckpt.rng[0]);

    const noOptimizer = decodeCheckpoint(
      encodeCheckpoint(captureCheckpoint({ model: run.model }, { epoch: 0, globalStep: 0 })),
    );
    expect(noOptimizer.optimizer).toBeNull();
    expect(() => restoreCheckpoint(noOptimizer, { model: fresh.model, optimizer: fresh.optimizer })).toThrow(
      /holds no optimizer state, but an optimizer \(adam\) was given/,
    );
  });

  it('rolls back everything already loaded when a state refuses to load', () => {
    const run = makeRun();
    advance(run, 2);
    const broken: Stateful = {
      stateDict: () => ({ ok: true }),
      loadStateDict: () => {
        throw new Error('bad state');
      },
    };
    const ckpt = captureCheckpoint(
      { ...target(run), states: { scheduler: run.scheduler, broken } },
      { epoch: 1, globalStep: 2 },
    );
    const fresh = makeRun(11);
    const before = snapshot(fresh.model);
    const optBefore = JSON.stringify(fresh.optimizer.stateDict());
    const lrBefore = fresh.optimizer.paramGroups[0].lr;
    const genBefore = fresh.dropoutGen.getState();
    expect(() =>
      restoreCheckpoint(
        ckpt,
        { ...target(fresh), states: { scheduler: fresh.scheduler, broken } },
        { source: 'x.safetensors' },
      ),
    ).toThrow(/^x\.safetensors could not be restored \(nothing was changed\): bad state$/);
    expect(snapshot(fresh.model)).toEqual(before);
    expect(JSON.stringify(fresh.optimizer.stateDict())).toBe(optBefore);
    expect(fresh.optimizer.paramGroups[0].lr).toBe(lrBefore);
    expect(fresh.dropoutGen.getState()).toEqual(genBefore);
  });

  it('describes a model without stateDict by its parameters', () => {
    const w = tensor([1.5, -2]);
    w.requiresGrad = true;
    const bare = { forward: (t: Tensor) => t, parameters: () => [w], train: () => undefined, eval: () => undefined };
    expect(modelSignature(bare)).toEqual([{ name: '0', shape: [2], dtype: 'float32' }]);
    const ckpt = decodeCheckpoint(encodeCheckpoint(captureCheckpoint({ model: bare }, { epoch: 0, globalStep: 0 })));
    w.data[0] = 9;
    restoreCheckpoint(ckpt, { model: bare });
    expect(Array.from(w.data)).toEqual([1.5, -2]);
  });
});

describe('decodeCheckpoint on bad bytes', () => {
  const good = () => {
    const run = makeRun();
    return encodeCheckpoint(captureCheckpoint(target(run), { epoch: 1, globalStep: 4 }));
  };

  it('names the source for a truncated file', () => {
    const bytes = good();
    for (const length of [0, 5, 100, bytes.length - 1])
      expect(() => decodeCheckpoint(bytes.subarray(0, length), '/runs/a/epoch-0001.safetensors')).toThrow(
        /^\/runs\/a\/epoch-0001\.safetensors is not a readable checkpoint: loadSafetensors: .*\(the file is truncated or corrupt\)$/,
      );
  });

  it('detects a flipped bit in the tensor data or the metadata with the checksum', () => {
    const bytes = good();
    const dataFlip = bytes.slice();
    dataFlip[dataFlip.length - 3] ^= 0x10;
    expect(() => decodeCheckpoint(dataFlip, 'c.safetensors')).toThrow(
      /^c\.safetensors is not a readable checkpoint: checksum mismatch .*the file is corrupt$/,
    );
    const text = new TextDecoder().decode(bytes);
    const at = text.indexOf('"globalStep\\":4');
    expect(at).toBeGreaterThan(0);
    const metaFlip = bytes.slice();
    metaFlip[at + '"globalStep\\":'.length] = '5'.charCodeAt(0);
    expect(() => decodeCheckpoint(metaFlip, 'c.safetensors')).toThrow(/checksum mismatch/);
  });

  it('rejects plain weights, a newer version and garbage', () => {
    const model = new Linear(2, 2, { generator: new Generator(0) });
    expect(() => decodeCheckpoint(saveSafetensors(model.stateDict()), 'w.safetensors')).toThrow(
      /^w\.safetensors is not a readable checkpoint: it is a safetensors file without __metadata__\.format = "nabla\.checkpoint"/,
    );
    const newer = saveSafetensors(model.stateDict(), { format: CHECKPOINT_FORMAT, version: '2' });
    expect(() => decodeCheckpoint(newer)).toThrow(/format version 2 is newer than this nabla reads \(1\)/);
    const garbage = new Uint8Array(64).fill(0xff);
    expect(() => decodeCheckpoint(garbage, 'g')).toThrow(/^g is not a readable checkpoint: .*header length/);
  });
});

/**
 * Rewrite the metadata of a checkpoint file as a crafted file would, with a matching checksum (the CRC guards against
 * accidents, not against an author): the checksum is the one decodeCheckpoint reports computing.
 */
function craft(bytes: Uint8Array, edit: (metadata: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = loadSafetensors(bytes);
  const edited = { ...metadata };
  edit(edited);
  let computed: RegExpExecArray | null = null;
  try {
    decodeCheckpoint(saveSafetensors(tensors, edited));
  } catch (error) {
    computed = /checksum mismatch \(stored "[0-9a-f]*", computed "([0-9a-f]{8})"\)/.exec((error as Error).message);
  }
  expect(computed).not.toBeNull();
  return saveSafetensors(tensors, { ...edited, checksum: (computed as RegExpExecArray)[1] });
}

describe('decodeCheckpoint on crafted metadata (cases found by test/fuzz-loaders.test.ts)', () => {
  const model = new Linear(2, 2, { generator: new Generator(0) });
  const withState = (state: unknown) =>
    encodeCheckpoint(
      captureCheckpoint(
        { model, states: { s: { stateDict: () => state, loadStateDict: () => {} } } },
        { epoch: 0, globalStep: 0 },
      ),
    );

  it('refuses a stored array referenced twice, which would copy it once per reference', () => {
    const bytes = withState({ w: new Float32Array(1000) });
    const name = Object.keys(loadSafetensors(bytes).tensors).find((k) => k.startsWith('state.')) as string;
    expect(decodeCheckpoint(bytes).states).toEqual({ s: { w: new Float32Array(1000) } });
    const ref = JSON.stringify({ 'nabla:encoded': name });
    const amplified = craft(bytes, (m) => {
      m.states = `{"s":{"w":${ref},"copies":[${new Array(1000).fill(ref).join(',')}]}}`;
    });
    expect(() => decodeCheckpoint(amplified, 'x.safetensors')).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(amplified, 'x.safetensors')).toThrow(
      `x.safetensors is not a readable checkpoint: the tensor "${name}" is referenced twice, but a checkpoint stores every array once`,
    );
  });

  it('bounds the nesting of states at 100 levels, when encoding and when decoding', () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);
    // states (level 0) > s (level 1) > 99 arrays: levels 1 to 99.
    expect(decodeCheckpoint(withState(nest(99))).states).toEqual({ s: nest(99) });
    expect(() => withState(nest(100))).toThrow(CheckpointError);
    expect(() => withState(nest(100))).toThrow(
      /^encodeCheckpoint: states\.s(\[0\]){99} is nested deeper than 100 levels/,
    );
    for (const depth of [100, 5000, 100_000]) {
      const deep = craft(withState(1), (m) => {
        m.states = `{"s":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      });
      expect(() => decodeCheckpoint(deep, 'd')).toThrow(
        'd is not a readable checkpoint: a state is nested deeper than 100 levels',
      );
    }
  });

  it('keeps a "__proto__" key of a state an own key, when decoding and when restoring', () => {
    const crafted = craft(withState({ x: 1 }), (m) => {
      m.states = '{"s":{"__proto__":{"polluted":1},"x":1}}';
    });
    const ckpt = decodeCheckpoint(crafted);
    const decoded = (ckpt.states as Record<string, object>).s;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__', 'x']);
    expect((decoded as Record<string, unknown>).polluted).toBeUndefined();
    let restored: unknown = null;
    restoreCheckpoint(ckpt, {
      model: new Linear(2, 2, { generator: new Generator(1) }),
      states: { s: { stateDict: () => null, loadStateDict: (state) => (restored = state) } },
    });
    expect(Object.getPrototypeOf(restored)).toBe(Object.prototype);
    expect(Object.keys(restored as object)).toEqual(['__proto__', 'x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a signature that names a tensor twice (and so leaves another unnamed)', () => {
    const crafted = craft(withState(1), (m) => {
      const signature = JSON.parse(m.signature) as { name: string }[];
      signature[1] = signature[0];
      m.signature = JSON.stringify(signature);
    });
    expect(() => decodeCheckpoint(crafted, 's')).toThrow(
      's is not a readable checkpoint: the signature names "weight" twice',
    );
  });
});

describe('encodeCheckpoint on bad states', () => {
  const model = new Linear(1, 1, { generator: new Generator(0) });
  const ckpt = (state: unknown): Checkpoint =>
    captureCheckpoint(
      { model, states: { s: { stateDict: () => state, loadStateDict: () => {} } } },
      { epoch: 0, globalStep: 0 },
    );

  it('rejects typed arrays it cannot store and reserved keys', () => {
    expect(() => encodeCheckpoint(ckpt({ mask: new Uint8Array(2) }))).toThrow(
      /encodeCheckpoint: states\.s\.mask is a Uint8Array; checkpoints store Float32Array, Float64Array and Int32Array/,
    );
    expect(() => encodeCheckpoint(ckpt({ 'nabla:number': 1 }))).toThrow(/keys starting with "nabla:" are reserved/);
  });

  it('checks the position and the mid-epoch generator states', () => {
    expect(() => captureCheckpoint({ model }, { epoch: -1, globalStep: 0 })).toThrow(
      /captureCheckpoint: position\.epoch must be a non-negative integer, got -1/,
    );
    expect(() =>
      captureCheckpoint({ model, generators: [new Generator(1)] }, { epoch: 0, batch: 2, globalStep: 2 }),
    ).toThrow(
      /a mid-epoch checkpoint \(batch 2\) needs position\.epochStartRng with one state per generator \(1\), got none/,
    );
    const g = new Generator(1);
    const start = g.getState();
    g.uniform();
    const mid = decodeCheckpoint(
      encodeCheckpoint(
        captureCheckpoint({ model, generators: [g] }, { epoch: 0, batch: 2, globalStep: 2, epochStartRng: [start] }),
      ),
    );
    expect(mid.epochStartRng).toEqual([start]);
    expect(mid.rng).toEqual([g.getState()]);
  });
});

describe('the stateful convention', () => {
  it('recognises schedulers and stateful plugins, and numbers repeated names in order', () => {
    const model = new Linear(1, 1, { generator: new Generator(0) });
    const scheduler = stepLR(adam(model.parameters()), { stepSize: 1 });
    expect(isStateful(scheduler)).toBe(true);
    expect(isStateful({ stateDict: () => 1 })).toBe(false);
    const a: TrainPlugin & Stateful = { name: 'a', stateDict: () => 1, loadStateDict: () => {} };
    const plain: TrainPlugin = { name: 'plain', batchEnd: () => {} };
    expect(Object.keys(statefulPlugins([plain, a]))).toEqual(['a']);
    const b = { ...a };
    const c = { ...a };
    expect(statefulPlugins([a, plain, b, a, c])).toEqual({ a, 'a#2': b, 'a#3': c });
    expect(statefulPlugins([a, plain, b, a, c]).a).toBe(a);
    expect(statefulPlugins([a, plain, b, a, c])['a#2']).toBe(b);
  });
});
