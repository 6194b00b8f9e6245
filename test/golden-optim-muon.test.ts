// Muon with its AdamW fallback vs the reference (test/fixtures/optim-muon.json: PyTorch 2.9's Muon and
// Keller Jordan's aux Adam, ported to PyTorch 1.13 without bfloat16): losses, parameter checkpoints,
// the final loss and every parameter's final optimizer state, for every case.
import { decodeState, type Optimizer } from '@nablajs/optim';
import { muon } from '@nablajs/optim-muon';
import { describe, expect, it } from 'vitest';
import {
  closeNumbers,
  type OptimizerCase,
  optimizerCases,
  optimizerTolerance,
  replayCase,
  stateDictViaJson,
} from './helpers/optim-golden';

type MuonCase = OptimizerCase & {
  final_state: Record<string, Record<string, number | { data: number[] }>>;
  routing: Record<string, 'muon' | 'adamw'>;
};

/** PyTorch's state key -> [block of chain(scaleByMuon(), scaleByAuxAdamW()), field of that block's state]. */
const stateKeys: Record<string, [number, string]> = {
  momentum_buffer: [0, 'momentumBuffer'],
  step: [1, 'step'],
  exp_avg: [1, 'expAvg'],
  exp_avg_sq: [1, 'expAvgSq'],
};

function checkFinalState(c: MuonCase, opt: Optimizer): void {
  const sd = stateDictViaJson(opt);
  const blocks = decodeState(sd.state[0]) as Record<string, unknown[]>[];
  const tol = optimizerTolerance(c);
  c.params.forEach((p, i) => {
    const expected = c.final_state[p.name];
    // The path the parameter took: its buffers of the other path are null (step 0).
    const muonPath = c.routing[p.name] === 'muon';
    expect(blocks[0].momentumBuffer[i] !== null, `${c.id}: ${p.name} on the Muon path`).toBe(muonPath);
    expect(blocks[1].expAvg[i] !== null, `${c.id}: ${p.name} on the AdamW path`).toBe(!muonPath);
    if (muonPath) expect(blocks[1].step[i], `${c.id}: ${p.name} took no AdamW step`).toBe(0);
    expect(Object.keys(expected).sort()).toEqual(muonPath ? ['momentum_buffer'] : ['exp_avg', 'exp_avg_sq', 'step']);
    for (const [key, value] of Object.entries(expected)) {
      const [block, field] = stateKeys[key];
      const actual = blocks[block][field][i];
      const label = `${c.id}: final_state ${p.name}.${key}`;
      if (typeof value === 'number') closeNumbers([actual as number], [value], tol, label);
      else closeNumbers(actual as ArrayLike<number>, value.data, tol, label);
    }
  });
}

const cases = optimizerCases('optim-muon.json') as MuonCase[];

describe('muon vs the reference fixtures (PyTorch 2.9 Muon + Keller Jordan aux AdamW)', () => {
  it('covers the problems, dtypes and configurations', () => {
    expect(cases).toHaveLength(25);
    const ids = new Set(cases.map((c) => c.id));
    for (const id of [
      'defaults/lstsq',
      'defaults/mlp',
      'defaults/rosenbrock2d',
      'nesterov_false/mlp',
      'weight_decay/lstsq',
      'match_rms_adamw/mlp',
      'ns_steps3/lstsq',
      'cubic_ns/mlp',
      'all_adamw/mlp',
      'lr/lstsq/float32',
      'weight_decay/mlp/float32',
    ])
      expect(ids.has(id), id).toBe(true);
    for (const c of cases) expect(c.steps).toBeGreaterThanOrEqual(20);
    // The mlp's matrices take Muon and its biases the fallback; rosenbrock2d's vector takes the fallback.
    expect(cases.find((c) => c.id === 'lr/mlp')?.routing).toEqual({
      W1: 'muon',
      b1: 'adamw',
      W2: 'muon',
      b2: 'adamw',
    });
  });
  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, muon);
      checkFinalState(c, opt);
    });
  }
});
