// Where the schedulers that cycle momentum (cyclicLR, oneCycleLR) read and write it: a group's `momentum`, or
// `betas[0]` for Adam-like groups.
import { ValueError } from '@nablajs/core';
import type { Optimizer } from '../types';

/** Where a group keeps its momentum: `momentum` (SGD, RMSprop) or `betas[0]` (Adam-like). */
export type MomentumSlot = 'momentum' | 'betas';

/**
 * Find, per group, where momentum lives: `momentum` when the group has a numeric one, else `betas[0]`
 * when it has `betas`; throws (as PyTorch does) when a group has neither.
 */
export function momentumSlots(fn: string, optimizer: Optimizer): MomentumSlot[] {
  return optimizer.paramGroups.map((g, i) => {
    const group = g as Record<string, unknown>;
    if (typeof group.momentum === 'number') return 'momentum';
    if (Array.isArray(group.betas) && typeof group.betas[0] === 'number') return 'betas';
    throw new ValueError(
      `${fn}: cycleMomentum is true, but paramGroups[${i}] has neither momentum nor betas; pass cycleMomentum: false`,
    );
  });
}

/** Write a momentum value; `betas` is replaced by a new array `[m, ...betas.slice(1)]`, never mutated. */
export function writeMomentum(optimizer: Optimizer, slots: readonly MomentumSlot[], values: readonly number[]): void {
  const groups = optimizer.paramGroups;
  for (let i = 0; i < values.length; i++) {
    const group = groups[i] as Record<string, unknown>;
    if (slots[i] === 'momentum') group.momentum = values[i];
    else group.betas = [values[i], ...(group.betas as readonly number[]).slice(1)];
  }
}

/** Read the momentum of the groups that have a slot (groups added later have none and are not read). */
export function readMomentum(optimizer: Optimizer, slots: readonly MomentumSlot[]): number[] {
  return slots.map((slot, i) => {
    const group = optimizer.paramGroups[i] as Record<string, unknown>;
    return slot === 'momentum' ? (group.momentum as number) : (group.betas as readonly number[])[0];
  });
}
