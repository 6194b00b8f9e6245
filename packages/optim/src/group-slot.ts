import {
  allocate,
  DTypeError,
  hostReadsMayWait,
  isFloatingDType,
  isHalfDType,
  keep,
  runOnHost,
  setGradEnabled,
  Tensor,
  type TypedArray,
  ValueError,
} from '@nablajs/core';
import { hasPasses } from './definition';
import type { Hyperparams, ParamGroup, StepContext, UpdateRule } from './types';

// A parameter group as the runtime holds it: its checks when it is added, and its slot (state, update
// buffers and the StepContext its rule sees).

/** One parameter group of an optimizer, with what its steps need. */
export interface GroupSlot {
  group: ParamGroup;
  state: unknown;
  /** Update buffers, allocated at the group's first step on the rule's path (never on the fused one). */
  buffers: (TypedArray | null)[];
  /** Tensor views of `buffers`, made on first use by `ctx.updateTensor`. */
  views: (Tensor | null)[];
  updates: (TypedArray | null)[];
  ctx: StepContext;
  /** Whether the group has any gradient this step. */
  active: boolean;
}

/**
 * Check the parameters of a new group (the next after `groups`): tensors, of a floating dtype optimizers
 * take, leaves, and in no other group. Errors name the optimizer `name` and the parameter.
 */
export function checkGroupParams(name: string, params: readonly Tensor[], groups: readonly ParamGroup[]): void {
  const earlier = new Set<Tensor>(groups.flatMap((g) => g.params));
  const seen = new Map<Tensor, number>();
  params.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || !('data' in p) || !('shape' in p))
      throw new ValueError(`${name}: params[${i}] of group ${groups.length} is not a Tensor`);
    if (!isFloatingDType(p.dtype) || isHalfDType(p.dtype))
      throw new DTypeError(`${name}: params[${i}] is ${p.dtype}; only float32 and float64 tensors can be optimized`);
    if (!p.isLeaf)
      throw new ValueError(
        `${name}: params[${i}] is not a leaf tensor (it was computed by an op); optimize its leaves`,
      );
    if (earlier.has(p)) throw new ValueError(`${name}: params[${i}] appears in more than one parameter group`);
    const first = seen.get(p);
    if (first !== undefined)
      throw new ValueError(`${name}: params[${i}] is the same tensor as params[${first}]; give each parameter once`);
    seen.set(p, i);
  });
}

/** What a slot's StepContext calls back into its optimizer for. */
export interface SlotHooks {
  evaluate(): number;
  hostTask: StepContext['hostTask'];
}

/** The slot of `group` (appended to `slots` by the caller), with the StepContext of its rule. */
export function makeSlot(
  name: string,
  group: ParamGroup,
  state: unknown,
  slots: readonly GroupSlot[],
  global: Record<string, unknown>,
  hooks: SlotHooks,
): GroupSlot {
  const buffers: (TypedArray | null)[] = new Array(group.params.length).fill(null);
  const updates: (TypedArray | null)[] = new Array(buffers.length).fill(null);
  const views: (Tensor | null)[] = new Array(buffers.length).fill(null);
  const groupIndex = slots.length;
  const ctx: StepContext = {
    params: group.params,
    hp: group as unknown as Hyperparams,
    groupIndex,
    get groupCount() {
      return slots.length;
    },
    global,
    updateTensor: (i: number): Tensor => {
      const u = updates[i];
      if (u === null || u === undefined)
        throw new ValueError(
          `${name}: updateTensor(${i}): parameter ${i} of group ${groupIndex} has no update this step`,
        );
      let view = views[i];
      // NOTE: kept out of any tidy() scope open around step(): the view lives as long as its buffer.
      if (view === null || view.values !== u) view = views[i] = keep(new Tensor(u, group.params[i].shape));
      return view;
    },
    evaluate: () => hooks.evaluate(),
    hostTask: hooks.hostTask,
  };
  return { group, state, buffers, views, updates, ctx, active: false };
}

/**
 * Copy each gradient into its update buffer (`null` for a parameter without one); whether any was copied.
 * `grads`: the gradients' arrays, taken when the step was called (for a step that runs later).
 */
export function loadUpdates(slot: GroupSlot, grads?: readonly (TypedArray | null)[]): boolean {
  const { group, buffers, updates } = slot;
  const params = group.params;
  let any = false;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const g = grads === undefined ? (p.grad?.values ?? null) : grads[i];
    if (g === null) {
      updates[i] = null;
      continue;
    }
    let buffer = buffers[i];
    if (buffer === null) buffer = buffers[i] = allocate(p.dtype, p.size);
    buffer.set(g);
    updates[i] = buffer;
    any = true;
  }
  return any;
}

/** The one place that writes parameters: `p += u` for every update. */
export function applyUpdates(slot: GroupSlot): void {
  const { group, updates } = slot;
  const params = group.params;
  for (let i = 0; i < params.length; i++) {
    const u = updates[i];
    if (u === null) continue;
    const d = params[i].values;
    for (let j = 0; j < d.length; j++) d[j] += u[j];
  }
}

/** Run a rule with passes over `slots` (their `states`): every pass over every active group, then `update`; a chain block by block. */
export function runStaged(rule: UpdateRule<unknown>, slots: readonly GroupSlot[], states: unknown[]): void {
  if (rule.blocks?.some(hasPasses)) {
    rule.blocks.forEach((block, b) => {
      runStaged(
        block,
        slots,
        states.map((s) => (s as unknown[])[b]),
      );
    });
    return;
  }
  for (const pass of rule.passes ?? [])
    for (let g = 0; g < slots.length; g++) if (slots[g].active) pass(slots[g].updates, states[g], slots[g].ctx);
  for (let g = 0; g < slots.length; g++) if (slots[g].active) rule.update(slots[g].updates, states[g], slots[g].ctx);
}

/**
 * `rule` over `slots` for a host task, with the gradients of this call: the arrays it reads, and the run
 * (each gradient into its buffer, the rule, whose state in a group's is `stateOf(state)`, and the moves).
 * A rule with passes steps the slots together.
 */
export function ruleOnHost(
  slots: readonly GroupSlot[],
  rule: UpdateRule<unknown>,
  stateOf: (groupState: unknown) => unknown,
): { reads: TypedArray[]; run: () => void } {
  const grads = slots.map((slot) => slot.group.params.map((p) => p.grad?._array ?? null));
  const reads: TypedArray[] = [];
  for (const list of grads) for (const g of list) if (g !== null) reads.push(g);
  const run = () => {
    slots.forEach((slot, g) => {
      slot.active = loadUpdates(slot, grads[g]);
    });
    if (hasPasses(rule))
      runStaged(
        rule,
        slots,
        slots.map((s) => stateOf(s.state)),
      );
    else for (const slot of slots) if (slot.active) rule.update(slot.updates, stateOf(slot.state), slot.ctx);
    for (const slot of slots) if (slot.active) applyUpdates(slot);
  };
  return { reads, run };
}

/** `rule.setMode(mode)` over every slot, with gradients off (Schedule-Free's move between its two points). */
export function moveSlots(rule: UpdateRule<unknown>, slots: readonly GroupSlot[], mode: 'train' | 'eval'): void {
  const recording = setGradEnabled(false);
  try {
    for (const slot of slots) rule.setMode?.(mode, slot.state, slot.ctx);
  } finally {
    setGradEnabled(recording);
  }
}

/** Clear the gradients of the parameters of `groups`: set them to null, or fill them with zeros (where they are). */
export function zeroGrads(groups: readonly ParamGroup[], setToNone: boolean): void {
  for (const group of groups)
    for (const p of group.params) {
      const g = p.grad;
      if (setToNone) p.grad = null;
      else if (g !== null) {
        if (hostReadsMayWait()) {
          const a = g._array;
          runOnHost([], [a], () => a.fill(0));
        } else g.values.fill(0);
        g.markModified();
      }
    }
}

/**
 * The typed arrays in a rule's state (plain data: arrays and objects, chains nested), for a host task that
 * reads and writes them.
 */
export function stateArrays(state: unknown, out: TypedArray[] = []): TypedArray[] {
  if (ArrayBuffer.isView(state) && !(state instanceof DataView)) out.push(state as TypedArray);
  else if (Array.isArray(state)) for (const x of state) stateArrays(x, out);
  else if (state !== null && typeof state === 'object' && !(state instanceof Tensor))
    for (const x of Object.values(state)) stateArrays(x, out);
  return out;
}
