// Forward hooks of `Module.registerForwardHook`: the hook type, and the own-property `forward`
// wrapper that a module with hooks gets (removed again with its last hook).

import type { Module } from './module';

/**
 * A forward hook: sees a module's inputs and output after each `forward` call and may return a
 * replacement output (returning nothing, or `undefined`, keeps it, so a hook that only logs needs no
 * `return`).
 */
export type ForwardHook<M extends Module = Module> = (
  module: M,
  inputs: Parameters<M['forward']>,
  output: ReturnType<M['forward']>,
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only observes returns nothing
) => ReturnType<M['forward']> | undefined | void;

/** A module's hooks, while it has any. */
export interface HookState {
  hooks: ForwardHook<Module>[];
  /** The own `forward` property the instance had before the wrapper was installed, if any. */
  ownForward: PropertyDescriptor | undefined;
}

/** Where a module keeps its {@link HookState} (its private `hookState` field, read and written by {@link Module}). */
export interface HookSlot {
  get(): HookState | null;
  set(state: HookState | null): void;
}

/**
 * The body of {@link Module.registerForwardHook}: install the `forward` wrapper if `module` has no hooks
 * yet, add `hook`, and return the function that removes it (and the wrapper with the last hook).
 */
export function addForwardHook(module: Module, slot: HookSlot, hook: ForwardHook<Module>): () => void {
  if (slot.get() === null) {
    const ownForward = Object.getOwnPropertyDescriptor(module, 'forward');
    const state: HookState = { hooks: [], ownForward };
    const inner = module.forward;
    const wrapper = (...inputs: unknown[]): unknown => {
      let output = inner.apply(module, inputs);
      for (const h of [...state.hooks]) {
        const replaced = h(module, inputs, output);
        if (replaced !== undefined) output = replaced;
      }
      return output;
    };
    Object.defineProperty(module, 'forward', { value: wrapper, writable: true, configurable: true, enumerable: false });
    slot.set(state);
  }
  const state = slot.get()!;
  state.hooks.push(hook);
  return () => {
    const i = state.hooks.indexOf(hook);
    if (i < 0) return;
    state.hooks.splice(i, 1);
    if (state.hooks.length === 0 && slot.get() === state) {
      if (state.ownForward !== undefined) Object.defineProperty(module, 'forward', state.ownForward);
      else delete (module as { forward?: unknown }).forward;
      slot.set(null);
    }
  };
}
