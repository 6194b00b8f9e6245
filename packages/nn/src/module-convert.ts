// Dtype conversion behind `Module.to`: a module's own floating tensors are replaced by converted
// NEW tensors, and the module's fields that held the old ones are pointed at the new.

import { type DType, isFloatingDType, Tensor } from '@nablajs/core';
import type { Module } from './module';

/**
 * Convert a module's own floating parameters and buffers (`maps`, its registries) to `dtype` (see
 * {@link Module.to}); `replaced` maps old tensors to new ones across modules, so that tied weights stay
 * tied. `isModule` tells the modules below `module`'s fields, which convert their own.
 */
export function convertOwnTensors(
  module: Module,
  maps: readonly Map<string, Tensor | null>[],
  dtype: DType,
  replaced: Map<Tensor, Tensor>,
  isModule: (value: object) => boolean,
): void {
  for (const map of maps) {
    for (const [name, t] of map) {
      if (t === null || t.dtype === dtype || !isFloatingDType(t.dtype)) continue;
      let fresh = replaced.get(t);
      if (fresh === undefined) {
        fresh = t.detach().to(dtype);
        if (t.requiresGrad) fresh.requiresGrad = true;
        const grad = t.grad;
        if (grad !== null) fresh.grad = grad.detach().to(dtype);
        replaced.set(t, fresh);
      }
      map.set(name, fresh);
    }
  }
  if (replaced.size > 0) replaceReferences(module, replaced, new Set(), 0, isModule);
  // Layers that record their parameters' dtype (RNNs, attention) check inputs against it.
  const fields = module as unknown as Record<string, unknown>;
  const own = Object.getOwnPropertyDescriptor(module, 'dtype');
  if (own?.writable && typeof fields.dtype === 'string' && isFloatingDType(fields.dtype as DType)) fields.dtype = dtype;
}

/**
 * Point the fields of `holder` that hold a key of `replaced` at its new tensor: own fields, and the
 * plain objects and arrays under them (a layer's parameter record, an RNN's per-layer weights), but not
 * other modules (each converts its own) nor class instances.
 */
function replaceReferences(
  holder: object,
  replaced: Map<Tensor, Tensor>,
  seen: Set<object>,
  depth: number,
  isModule: (value: object) => boolean,
): void {
  if (seen.has(holder) || depth > 4 || Object.isFrozen(holder)) return;
  seen.add(holder);
  const fields = holder as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value instanceof Tensor) {
      const fresh = replaced.get(value);
      if (fresh !== undefined) fields[key] = fresh;
    } else if (value !== null && typeof value === 'object' && !isModule(value)) {
      const proto = Object.getPrototypeOf(value);
      if (Array.isArray(value) || proto === Object.prototype || proto === null)
        replaceReferences(value, replaced, seen, depth + 1, isModule);
    }
  }
}
