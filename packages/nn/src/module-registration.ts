// The check that a module's fields hold no module or trainable tensor that was never registered: in
// PyTorch, assigning `self.fc = nn.Linear(...)` registers it; in nabla registration is explicit, and a
// forgotten `registerModule` would leave the layer out of parameters(), stateDict(), train() and to()
// without a word. Fields that are ES private (`#teacher`) are not seen, which is how to keep a module
// deliberately unregistered.

import { Tensor, ValueError } from '@nablajs/core';
import type { Module } from './module';

/** A short description of `value` for the message: its class name. */
function kindOf(value: object): string {
  return value.constructor?.name ?? 'object';
}

/**
 * Throw a ValueError naming `fn`, the module's dotted name and the field when a module of `tree` has an
 * own field (or an element of an own array field) that holds a module outside `tree`, or a tensor that
 * requires gradients and is not among `registered`.
 */
export function checkRegistered(
  fn: string,
  tree: ReadonlyArray<readonly [string, Module]>,
  registered: ReadonlySet<Tensor>,
  isModule: (value: unknown) => value is Module,
): void {
  const modules = new Set<Module>();
  for (const [, m] of tree) modules.add(m);
  for (const [name, m] of tree) {
    const fields = m as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      const where = `field ${JSON.stringify(key)} of ${kindOf(m)}${name === '' ? '' : ` (${JSON.stringify(name)})`}`;
      const problem = unregistered(value, modules, registered, isModule, false);
      if (problem !== null) throw new ValueError(`${fn}: ${where} ${problem}`);
      if (Array.isArray(value))
        for (let i = 0; i < value.length; i++) {
          const inner = unregistered(value[i], modules, registered, isModule, true);
          if (inner !== null) throw new ValueError(`${fn}: element ${i} of ${where} ${inner}`);
        }
    }
  }
}

function unregistered(
  value: unknown,
  modules: ReadonlySet<Module>,
  registered: ReadonlySet<Tensor>,
  isModule: (value: unknown) => value is Module,
  inArray: boolean,
): string | null {
  if (isModule(value) && !modules.has(value))
    return `holds a ${kindOf(value)} that is not registered: register it (${inArray ? 'keep the modules in a ModuleList, this.registerModule(name, new ModuleList([...]))' : 'this.registerModule(name, module)'}) so that parameters(), stateDict(), train() and to() include it, or keep it in an ES private field (#name) to leave it out`;
  if (value instanceof Tensor && value.requiresGrad && !registered.has(value))
    return 'holds a tensor that requires gradients and is not registered: register it (this.registerParameter(name, tensor)) so that parameters() and stateDict() include it, or keep it in an ES private field (#name) to leave it out';
  return null;
}
