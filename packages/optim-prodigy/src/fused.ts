import {
  allocate,
  copyKernel,
  hostReadsMayWait,
  PRODIGY_STATS,
  prodigyAccumulateKernel,
  prodigyBeginKernel,
  prodigyStepKernel,
  prodigyUpdateDKernel,
  resolveKernel,
  type Tensor,
  type TypedArray,
} from '@nablajs/core';
import type { FusedUpdate, Hyperparams, StepContext } from '@nablajs/optim';
import {
  checkGroup,
  ensureGlobals,
  PRODIGY_KEYS,
  type ProdigyState,
  raiseChecks,
  type StepScratch,
  scratchOf,
  slicedLength,
} from './scale-by-prodigy';

// Prodigy's step where the values live on the GPU (webgpu backend): the estimate of d stays in a float32
// `stats` array there, updated by kernels, so a step reads nothing back. After each step a snapshot of
// `stats` is copied into `ctx.global` (the state dict's numbers) by a host task, at the next await. On cpu
// and wasm the rule runs instead, with d's statistics in doubles in the reference's order.

/** The statistics of `ctx.global`, in the order of the first entries of `stats`. */
const KEYS = [
  PRODIGY_KEYS.d,
  PRODIGY_KEYS.dMax,
  PRODIGY_KEYS.dNumerator,
  PRODIGY_KEYS.dDenom,
  PRODIGY_KEYS.dHat,
  PRODIGY_KEYS.k,
] as const;

interface Mirror {
  /** The statistics on the device. */
  stats: Float32Array;
  /** The numbers of `ctx.global` that `stats` was made from or last copied into it: a change means a load. */
  seen: number[];
}

interface Entry {
  state: ProdigyState;
  ctx: StepContext;
}

/** Per optimizer (keyed by its `ctx.global`): the groups of the step so far, and the statistics on the device. */
const pending = new WeakMap<object, Entry[]>();
const mirrors = new WeakMap<object, Mirror>();
/** Scratch for each parameter's terms (2·⌈n/sliceP⌉ elements). */
const terms = new WeakMap<Tensor, Float32Array>();

function statsFor(global: Record<string, unknown>): Mirror {
  const values = KEYS.map((key) => global[key] as number);
  let mirror = mirrors.get(global);
  if (mirror === undefined || values.some((v, i) => v !== (mirror as Mirror).seen[i])) {
    const stats = allocate('float32', PRODIGY_STATS.size) as Float32Array;
    values.forEach((v, i) => {
      stats[i] = v;
    });
    mirror = { stats, seen: values };
    mirrors.set(global, mirror);
  }
  return mirror;
}

function termsFor(param: Tensor, length: number): Float32Array {
  let t = terms.get(param);
  if (t === undefined || t.length !== length) {
    t = allocate('float32', length) as Float32Array;
    terms.set(param, t);
  }
  return t;
}

/** The state arrays of a parameter's first step (x₀ is copied by the first accumulate kernel). */
function initParam(state: ProdigyState, i: number, size: number, sliceP: number, beta1: number): void {
  const n = slicedLength(size, sliceP);
  state.step[i] = 0;
  state.p0[i] = allocate('float32', n);
  state.s[i] = allocate('float32', n);
  state.expAvg[i] = beta1 > 0 ? allocate('float32', size) : null;
  state.expAvgSq[i] = allocate('float32', size);
}

/** The whole step over the groups with a gradient, after every group's fused call. */
function stepAll(entries: readonly Entry[]): void {
  const active = entries.filter((e) => e.ctx.params.some((p) => p.grad !== null));
  if (active.length === 0) return;
  const global = active[0].ctx.global;
  const sc: StepScratch = scratchOf(global);
  sc.phase = 'idle';
  try {
    for (const { state, ctx } of active)
      checkGroup(
        ctx.params.map((p) => p.grad?._array ?? null),
        state,
        ctx,
      );
    raiseChecks(sc);
  } finally {
    // NOTE: the rule's next step (fused updates turned off, or another backend) starts afresh.
    sc.phase = 'idle';
  }
  ensureGlobals(sc, global);
  const mirror = statsFor(global);
  const stats = mirror.stats;
  const { beta1, beta2, beta3 } = sc;
  resolveKernel('prodigyBegin', prodigyBeginKernel)(stats, sc.maxLr, beta1, beta2, sc.useBiasCorrection);
  const accumulate = resolveKernel('prodigyAccumulate', prodigyAccumulateKernel);
  for (const { state, ctx } of active) {
    const hp = ctx.hp;
    const decay = hp.weightDecay as number;
    const coupled = decay !== 0 && !sc.decouple ? decay : 0;
    const sliceP = hp.sliceP as number;
    ctx.params.forEach((p, i) => {
      const g = p.grad;
      if (g === null) return;
      const first = state.expAvgSq[i] === null;
      if (first) initParam(state, i, p.size, sliceP, beta1);
      // NOTE: as in the rule, m starts at 0 when beta1 turns positive after the first step.
      else if (beta1 > 0 && state.expAvg[i] === null) state.expAvg[i] = allocate('float32', p.size);
      accumulate(
        p._array,
        g._array,
        state.p0[i] as TypedArray,
        state.s[i] as TypedArray,
        beta1 > 0 ? state.expAvg[i] : null,
        state.expAvgSq[i] as TypedArray,
        termsFor(p, 2 * slicedLength(p.size, sliceP)),
        stats,
        sliceP,
        first,
        hp.lr > 0,
        coupled,
        beta1,
        beta2,
        beta3,
        hp.d0 as number,
        hp.safeguardWarmup === true,
      );
    });
  }
  resolveKernel('prodigyUpdateD', prodigyUpdateDKernel)(stats, beta3, sc.dCoef, sc.growthRate, sc.lastD0);
  const step = resolveKernel('prodigyStep', prodigyStepKernel);
  const moved: [ProdigyState, number][] = [];
  for (const { state, ctx } of active) {
    const hp = ctx.hp;
    const decay = hp.weightDecay as number;
    ctx.params.forEach((p, i) => {
      const g = p.grad;
      if (g === null) return;
      step(
        p._array,
        g._array,
        beta1 > 0 ? state.expAvg[i] : null,
        state.expAvgSq[i] as TypedArray,
        stats,
        decay !== 0 && !sc.decouple ? decay : 0,
        decay !== 0 && sc.decouple ? decay : 0,
        hp.eps as number,
      );
      moved.push([state, i]);
    });
  }
  // A snapshot, so that later steps' kernels never wait behind the host task that reads it.
  const snapshot = allocate('float32', PRODIGY_STATS.size) as Float32Array;
  resolveKernel('copy', copyKernel)(stats, snapshot);
  active[active.length - 1].ctx.hostTask([snapshot], [], () => {
    if (snapshot[PRODIGY_STATS.skip] !== 0) return;
    const values = KEYS.map((_, j) => snapshot[j]);
    KEYS.forEach((key, j) => {
      global[key] = values[j];
    });
    mirror.seen = values;
    for (const [state, i] of moved) state.step[i] += 1;
  });
}

/**
 * The fused step of {@link prodigy} on a backend that keeps values on the GPU: the `prodigyBegin`,
 * `prodigyAccumulate`, `prodigyUpdateD` and `prodigyStep` kernels, with the estimate of `d` in a float32
 * array on the device, so that a step reads nothing back. The statistics in `ctx.global` (the state dict,
 * {@link prodigyStats}) are brought up to date by a host task at the next await. Each group's call records
 * it; the last group's runs the step over all of them.
 *
 * @example
 * ```ts
 * defineOptimizer({ name: 'prodigy', defaults, rule: scaleByProdigy(), fused: fusedProdigy(), fusedWhen: prodigyFusedWhen });
 * ```
 */
export function fusedProdigy(): FusedUpdate {
  return (state, ctx) => {
    let list = pending.get(ctx.global);
    if (list === undefined) {
      list = [];
      pending.set(ctx.global, list);
    }
    if (ctx.groupIndex === 0) list.length = 0;
    list.push({ state: state as ProdigyState, ctx });
    if (ctx.groupIndex < ctx.groupCount - 1) return true;
    const entries = list.slice();
    list.length = 0;
    stepAll(entries);
    return true;
  };
}

/**
 * Whether {@link fusedProdigy} takes this step: only where values may live on the GPU (the webgpu backend
 * active) and every parameter is float32. On cpu and wasm the rule keeps `d`'s statistics in doubles, as
 * the reference does.
 *
 * @example
 * ```ts
 * prodigyFusedWhen(optimizer.paramGroups as unknown as Hyperparams[]); // false on the cpu backend
 * ```
 */
export function prodigyFusedWhen(groups: readonly Readonly<Hyperparams>[]): boolean {
  if (!hostReadsMayWait()) return false;
  return groups.every((group) => ((group as { params?: Tensor[] }).params ?? []).every((p) => p.dtype === 'float32'));
}
