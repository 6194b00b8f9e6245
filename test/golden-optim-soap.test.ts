// SOAP vs the authors' soap.py (ported to PyTorch 1.13 by scripts/fixtures/make_optim_soap_fixture.py,
// test/fixtures/optim-soap.json): losses, parameter checkpoints and the final loss of every case, the
// state after the initialisation step, and the parts of the final state that do not depend on the
// signs of the eigenbases' columns.
import { type Tensor, tensor } from '@nablajs/core';
import { decodeState, type Encoded, type Optimizer, type OptimizerStateDict } from '@nablajs/optim';
import { type SoapParamState, type SoapState, soap } from '@nablajs/optim-soap';
import { describe, expect, it } from 'vitest';
import { type FixtureTensor, fromFixture } from './helpers/fixtures';
import {
  caseParams,
  closeNumbers,
  type OptimizerCase,
  optimizerCases,
  optimizerTolerance,
  problemLoss,
  toOptions,
} from './helpers/optim-golden';

interface TorchParamState {
  step: number;
  GG: (FixtureTensor | null)[];
  Q: (FixtureTensor | null)[];
  GG_eigenvalues: (FixtureTensor | null)[];
  exp_avg: FixtureTensor;
  exp_avg_sq: FixtureTensor;
  exp_avg_original?: FixtureTensor;
}

type SoapCase = OptimizerCase & {
  init_state: Record<string, TorchParamState>;
  final_state: Record<string, TorchParamState>;
  inject_init_q: boolean;
};

const cases = optimizerCases('optim-soap.json') as SoapCase[];

/** The loss of a case; `tensor_lstsq` (an n-D parameter used as W.reshape(4, 4)) is this fixture's own problem. */
function lossOf(c: SoapCase): (params: Tensor[]) => Tensor {
  if (c.problem.name !== 'tensor_lstsq') return problemLoss(c.problem, c.dtype);
  const X = fromFixture(c.problem.X as FixtureTensor).to(c.dtype);
  const Y = fromFixture(c.problem.Y as FixtureTensor).to(c.dtype);
  return ([W]) =>
    X.matmul(W.reshape([4, 4]))
      .sub(Y)
      .square()
      .mean();
}

function soapState(opt: Optimizer): SoapState {
  return decodeState(JSON.parse(JSON.stringify(opt.stateDict().state[0]))) as SoapState;
}

const epsilonOf = (c: SoapCase) => (c.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7);

/** `Qᵀ A Q` for row-major `d × d` arrays. */
function congruence(q: ArrayLike<number>, a: ArrayLike<number>, d: number): number[] {
  const out = new Array<number>(d * d).fill(0);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let r = 0; r < d; r++) for (let t = 0; t < d; t++) s += q[r * d + i] * a[r * d + t] * q[t * d + j];
      out[i * d + j] = s;
    }
  return out;
}

/**
 * After step 1: the factors equal PyTorch's, and our basis is an eigenbasis of them with the same
 * eigenvalues in the same (decreasing) order; where every eigenvalue is simple it is PyTorch's basis up
 * to the signs of its columns.
 */
function checkInitState(c: SoapCase, opt: Optimizer): void {
  const state = soapState(opt);
  const tol = optimizerTolerance(c);
  c.params.forEach((p, i) => {
    const ours = state.params[i] as SoapParamState;
    const torch = c.init_state[p.name];
    expect(ours.step).toBe(0);
    expect(ours.gg.length).toBe(torch.GG.length);
    torch.GG.forEach((gg, k) => {
      const label = `${c.id}: ${p.name} after the initialisation step, dimension ${k}`;
      if (gg === null) {
        expect(ours.gg[k], label).toBeNull();
        return;
      }
      const d = gg.shape[0];
      const mine = ours.gg[k] as Float64Array;
      const q = ours.q[k] as Float64Array;
      closeNumbers(mine, gg.data as number[], tol, `${label}: GG`);
      const eigenvalues = (torch.GG_eigenvalues[k] as FixtureTensor).data as number[];
      const scale = Math.max(...eigenvalues.map(Math.abs));
      // Qᵀ·Q = I and Qᵀ·GG·Q = diag(eigenvalues, decreasing), to rounding.
      const identity = congruence(q, eye(d), d);
      const diagonal = congruence(q, mine, d);
      for (let r = 0; r < d; r++)
        for (let s = 0; s < d; s++) {
          expect(Math.abs(identity[r * d + s] - (r === s ? 1 : 0)), `${label}: QᵀQ[${r},${s}]`).toBeLessThan(
            100 * epsilonOf(c),
          );
          const want = r === s ? eigenvalues[r] : 0;
          expect(Math.abs(diagonal[r * d + s] - want), `${label}: QᵀGGQ[${r},${s}]`).toBeLessThan(
            100 * epsilonOf(c) * scale,
          );
        }
      if (!c.inject_init_q) {
        const torchQ = (torch.Q[k] as FixtureTensor).data as number[];
        closeNumbers(alignSigns(q, torchQ, d), torchQ, tol, `${label}: Q (up to column signs)`);
      }
    });
  });
}

function eye(d: number): number[] {
  return Array.from({ length: d * d }, (_, j) => (Math.floor(j / d) === j % d ? 1 : 0));
}

/** `q` with each column's sign flipped where its dot product with the same column of `target` is negative. */
function alignSigns(q: ArrayLike<number>, target: readonly number[], d: number): number[] {
  const out = Array.from(q);
  for (let c = 0; c < d; c++) {
    let dot = 0;
    for (let r = 0; r < d; r++) dot += q[r * d + c] * target[r * d + c];
    if (dot < 0) for (let r = 0; r < d; r++) out[r * d + c] = -out[r * d + c];
  }
  return out;
}

/**
 * Continue from PyTorch's initial bases: they span the same eigenspaces as ours (checked above), but
 * inside a repeated eigenvalue eigh's choice is arbitrary, and SOAP's trajectory depends on it.
 */
function injectInitialBases(c: SoapCase, opt: Optimizer): void {
  const sd = JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerStateDict;
  const group = sd.state[0] as { params: { q: (Encoded | null)[] }[] };
  c.params.forEach((p, i) => {
    c.init_state[p.name].Q.forEach((q, k) => {
      if (q !== null) group.params[i].q[k] = { $typed: c.dtype, data: q.data as number[] };
    });
  });
  opt.loadStateDict(sd);
}

/** `x ×ₖ Qₖ` along every dimension with a basis (the reference's `project_back`), with plain loops. */
function projectBack(
  x: ArrayLike<number>,
  dims: readonly number[],
  qs: readonly (ArrayLike<number> | null)[],
): number[] {
  let cur = Array.from(x);
  dims.forEach((d, k) => {
    const q = qs[k];
    if (q === null) return;
    let inner = 1;
    for (let j = k + 1; j < dims.length; j++) inner *= dims[j];
    const outer = cur.length / (d * inner);
    const next = new Array<number>(cur.length).fill(0);
    for (let o = 0; o < outer; o++)
      for (let r = 0; r < d; r++)
        for (let i = 0; i < inner; i++) {
          let s = 0;
          for (let t = 0; t < d; t++) s += q[r * d + t] * cur[(o * d + t) * inner + i];
          next[(o * d + r) * inner + i] = s;
        }
    cur = next;
  });
  return cur;
}

/** Our arrays in the parameter's element order (a channels_last 4-D parameter keeps them permuted (0, 3, 1, 2)). */
function parameterOrder(values: ArrayLike<number>, s: SoapParamState, shape: readonly number[]): number[] {
  if (!s.channelsLast) return Array.from(values);
  const [a, b, c, d] = shape;
  return Array.from(tensor(Array.from(values), { dtype: 'float64' }).reshape([a, d, b, c]).permute([0, 2, 3, 1]).data);
}

/**
 * After the last step: the step count, the factors GG and the second moment (independent of the bases'
 * column signs), the first moment in the parameter's space (exp_avg_original: exp_avg projected back),
 * and the bases up to column signs.
 */
function checkFinalState(c: SoapCase, opt: Optimizer): void {
  const state = soapState(opt);
  const tol = optimizerTolerance(c);
  c.params.forEach((p, i) => {
    const ours = state.params[i] as SoapParamState;
    const torch = c.final_state[p.name];
    const label = `${c.id}: final state of ${p.name}`;
    expect(ours.step, `${label}: step`).toBe(torch.step);
    torch.GG.forEach((gg, k) => {
      if (gg === null) expect(ours.gg[k]).toBeNull();
      else closeNumbers(ours.gg[k] as Float64Array, gg.data as number[], tol, `${label}: GG[${k}]`);
    });
    torch.Q.forEach((q, k) => {
      if (q === null) return;
      const d = q.shape[0];
      closeNumbers(
        alignSigns(ours.q[k] as Float64Array, q.data as number[], d),
        q.data as number[],
        tol,
        `${label}: Q[${k}]`,
      );
    });
    const shape = c.params[i].init.shape;
    closeNumbers(
      parameterOrder(ours.expAvgSq, ours, shape),
      torch.exp_avg_sq.data as number[],
      tol,
      `${label}: exp_avg_sq`,
    );
    const back = projectBack(ours.expAvg, ours.dims, ours.q);
    closeNumbers(
      parameterOrder(back, ours, shape),
      (torch.exp_avg_original as FixtureTensor).data as number[],
      tol,
      `${label}: exp_avg in the parameter's space`,
    );
  });
}

function replay(c: SoapCase): void {
  const params = caseParams(c);
  const f = lossOf(c);
  const tol = optimizerTolerance(c);
  const opt = soap(params, toOptions(c.hyperparams));
  let checkpoint = 0;
  for (let k = 1; k <= c.steps; k++) {
    opt.zeroGrad();
    const loss = f(params);
    loss.backward();
    closeNumbers([loss.item()], [c.trajectory.losses[k - 1]], tol, `${c.id}: loss before step ${k}`);
    const before = params.map((p) => Array.from(p.data));
    opt.step();
    if (k === 1) {
      params.forEach((p, i) => {
        expect(Array.from(p.data), `${c.id}: step 1 moved ${c.params[i].name}`).toEqual(before[i]);
      });
      checkInitState(c, opt);
      if (c.inject_init_q) injectInitialBases(c, opt);
    }
    const cp = c.trajectory.params[checkpoint];
    if (cp !== undefined && cp.step === k) {
      c.params.forEach((p, i) => {
        closeNumbers(params[i].data, cp.values[p.name].data as number[], tol, `${c.id}: ${p.name} after step ${k}`);
      });
      checkpoint++;
    }
  }
  expect(checkpoint).toBe(c.trajectory.checkpoints.length);
  closeNumbers([f(params).item()], [c.trajectory.final_loss], tol, `${c.id}: final loss`);
  checkFinalState(c, opt);
}

describe('SOAP vs the authors’ soap.py (PyTorch 1.13)', () => {
  it('covers the problems, dtypes and options the fixture README lists', () => {
    expect(cases.length).toBe(15);
    const ids = cases.map((c) => c.id);
    for (const problem of ['rosenbrock2d', 'lstsq', 'mlp'])
      expect(ids.some((id) => id.includes(`/${problem}`))).toBe(true);
    expect(cases.filter((c) => c.dtype === 'float32').length).toBeGreaterThanOrEqual(3);
    for (const option of [
      'precondition_frequency',
      'max_precond_dim',
      'merge_dims',
      'precondition_1d',
      'normalize_grads',
      'weight_decay',
      'correct_bias',
      'shampoo_beta',
      'data_format',
    ])
      expect(
        cases.some((c) => option in c.hyperparams),
        option,
      ).toBe(true);
    for (const c of cases) expect(c.steps).toBeGreaterThanOrEqual(20);
  });
  for (const c of cases) it(c.id, () => replay(c));
});
