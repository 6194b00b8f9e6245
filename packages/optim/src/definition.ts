import { ValueError } from '@nablajs/core';
import type { OptimizerDefinition } from './runtime';
import type { Hyperparams, UpdateRule } from './types';
import { checkBoolean, checkNumber, checkTuple } from './validate';

/** A clear error for a malformed definition, at definition time rather than at the first step. */
export function checkDefinition(definition: OptimizerDefinition): void {
  if (definition === null || typeof definition !== 'object')
    throw new ValueError('defineOptimizer: expected a definition object { name, defaults, rule }');
  const { name, defaults, rule, validate, fused, fusedWhen } = definition;
  if (typeof name !== 'string' || name.length === 0)
    throw new ValueError('defineOptimizer: name must be a non-empty string');
  if (defaults === null || typeof defaults !== 'object' || Array.isArray(defaults))
    throw new ValueError(`defineOptimizer: ${name}: defaults must be an object of hyperparameters`);
  if (typeof defaults.lr !== 'number')
    throw new ValueError(`defineOptimizer: ${name}: defaults.lr must be a number (the default learning rate)`);
  if (rule === null || typeof rule !== 'object' || typeof rule.init !== 'function' || typeof rule.update !== 'function')
    throw new ValueError(`defineOptimizer: ${name}: rule must be an update rule with init and update functions`);
  if (validate !== undefined && typeof validate !== 'function')
    throw new ValueError(`defineOptimizer: ${name}: validate must be a function`);
  if (fused !== undefined && typeof fused !== 'function')
    throw new ValueError(`defineOptimizer: ${name}: fused must be a function`);
  if (fusedWhen !== undefined && (typeof fusedWhen !== 'function' || fused === undefined))
    throw new ValueError(`defineOptimizer: ${name}: fusedWhen must be a function, given with fused`);
}

/**
 * The checks every optimizer made by {@link defineOptimizer} runs after its own `validate`: `lr` is a
 * finite number ≥ 0, and every hyperparameter has the type of its default (a number that is not NaN,
 * and finite when its default is, for a number; true or false for a flag; a string for a string; as
 * many numbers for a tuple).
 *
 * @example
 * ```ts
 * checkAgainstDefaults('adam', { lr: 1e-3, betas: [0.9, 0.999] }, { lr: -1, betas: [0.9, 0.999] }); // throws: adam: lr must be in [0, inf), got -1
 * ```
 */
export function checkAgainstDefaults(name: string, defaults: Readonly<Hyperparams>, hp: Readonly<Hyperparams>): void {
  checkNumber(name, 'lr', hp.lr, { min: 0 });
  if (!Number.isFinite(hp.lr)) throw new ValueError(`${name}: lr must be a finite number >= 0, got ${hp.lr}`);
  for (const [key, d] of Object.entries(defaults)) {
    if (key === 'lr' || !(key in hp)) continue;
    const v = hp[key];
    if (typeof d === 'number') {
      checkNumber(name, key, v);
      // NOTE: an option whose default is finite must be finite (Prodigy's growthRate defaults to Infinity).
      if (Number.isFinite(d) && !Number.isFinite(v))
        throw new ValueError(`${name}: ${key} must be a finite number, got ${String(v)}`);
    } else if (typeof d === 'boolean') checkBoolean(name, key, v);
    else if (typeof d === 'string') {
      if (typeof v !== 'string') throw new ValueError(`${name}: ${key} must be a string, got ${JSON.stringify(v)}`);
    } else if (Array.isArray(d)) checkTuple(name, key, v, d.length);
  }
}

/** Whether `rule`, or a block of it, has passes over every group (the runtime then runs it block by block). */
export function hasPasses(rule: UpdateRule<unknown>): boolean {
  return (rule.passes !== undefined && rule.passes.length > 0) || (rule.blocks?.some(hasPasses) ?? false);
}
