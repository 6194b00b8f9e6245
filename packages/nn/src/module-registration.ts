// The check that a module's fields hold no module or trainable tensor that was never registered: in
// PyTorch, assigning `self.fc = nn.Linear(...)` registers it; in nabla registration is explicit, and a
// forgotten `registerModule` would leave the layer out of parameters(), stateDict(), train() and to()
// without a word. Fields that are ES private (`#teacher`) are not seen, which is how to keep a module
// deliberately unregistered. It runs on every walk of the tree (an optimizer step may walk it), so the
// common case allocates nothing: a tensor field is first looked up among its own module's tensors.

import { Tensor, ValueError } from '@nablajs/core';
import type { Module } from './module';

/** How the check reads a tree of modules (the registries are private fields of {@link Module}). */
export interface RegistrationView {
  /** Whether `value` is a Module. */
  isModule(value: unknown): value is Module;
  /** Whether `t` is one of `m`'s own registered parameters or buffers. */
  ownsTensor(m: Module, t: Tensor): boolean;
  /** Every registered parameter and buffer of `tree` (built only when a field needs it). */
  allTensors(tree: ReadonlyArray<readonly [string, Module]>): ReadonlySet<Tensor>;
}

/**
 * Throw a ValueError naming `fn`, the module's dotted name and the field when a module of `tree` (whose
 * modules are `modules`) has an own field, or an element of an own array field, that holds a module
 * outside the tree or a tensor that requires gradients and is registered nowhere in it.
 */
export function checkRegistered(
  fn: string,
  tree: ReadonlyArray<readonly [string, Module]>,
  modules: ReadonlySet<Module>,
  view: RegistrationView,
): void {
  let all: ReadonlySet<Tensor> | null = null;
  const problem = (m: Module, value: unknown, inArray: boolean): string | null => {
    if (value instanceof Tensor) {
      if (!value.requiresGrad || view.ownsTensor(m, value)) return null;
      all ??= view.allTensors(tree);
      if (all.has(value)) return null;
      return 'holds a tensor that requires gradients and is not registered: register it (this.registerParameter(name, tensor)) so that parameters() and stateDict() include it, or keep it in an ES private field (#name) to leave it out';
    }
    if (!view.isModule(value) || modules.has(value)) return null;
    const how = inArray
      ? 'keep the modules in a ModuleList, this.registerModule(name, new ModuleList([...]))'
      : 'this.registerModule(name, module)';
    return `holds a ${value.constructor.name} that is not registered: register it (${how}) so that parameters(), stateDict(), train() and to() include it, or keep it in an ES private field (#name) to leave it out`;
  };
  for (let t = 0; t < tree.length; t++) {
    const [name, m] = tree[t];
    const fields = m as unknown as Record<string, unknown>;
    const keys = Object.keys(fields);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      const value = fields[key];
      if (typeof value !== 'object' || value === null) continue;
      let found = problem(m, value, false);
      let at = '';
      if (found === null && Array.isArray(value))
        for (let i = 0; i < value.length && found === null; i++) {
          found = problem(m, value[i], true);
          at = `element ${i} of `;
        }
      if (found !== null) {
        const where = `${at}field ${JSON.stringify(key)} of ${m.constructor.name}${name === '' ? '' : ` (${JSON.stringify(name)})`}`;
        throw new ValueError(`${fn}: ${where} ${found}`);
      }
    }
  }
}
