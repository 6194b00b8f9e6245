// Forward hooks, forward pre-hooks and full backward hooks of `Module.registerForwardHook`,
// `Module.registerForwardPreHook` and `Module.registerFullBackwardHook`: the hook types, and the own-property
// `forward` wrapper that a module with hooks of any kind gets (removed again with its last hook). The
// backward hooks' gates are in module-backward-hooks.ts.

import { isGradEnabled } from '@nablajs/core';
import type { Module } from './module';
import { BackwardHookCall, type FullBackwardHook, type FullBackwardPreHook } from './module-backward-hooks';

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

/**
 * A forward pre-hook: sees a module's inputs before each `forward` call and may replace them. Returning
 * an array replaces the whole argument list; returning any other value (other than `undefined`) makes it
 * the single argument, as PyTorch wraps a value that is not a tuple; returning nothing, or `undefined`,
 * keeps the inputs. So a hook replacing the one argument of a `forward` whose argument is itself an
 * array returns it wrapped: `[xs]`.
 */
export type ForwardPreHook<M extends Module = Module> = (
  module: M,
  inputs: Parameters<M['forward']>,
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only observes returns nothing
) => Parameters<M['forward']> | Parameters<M['forward']>[0] | undefined | void;

/** A module's hooks, while it has any. */
export interface HookState {
  /** The forward pre-hooks, in registration order. */
  preHooks: ForwardPreHook<Module>[];
  /** The forward hooks, in registration order. */
  hooks: ForwardHook<Module>[];
  /** The full backward hooks, in registration order. */
  backwardHooks: FullBackwardHook<Module>[];
  /** The full backward pre-hooks, in registration order. */
  backwardPreHooks: FullBackwardPreHook<Module>[];
  /** The own `forward` property the instance had before the wrapper was installed, if any. */
  ownForward: PropertyDescriptor | undefined;
}

/** Where a module keeps its {@link HookState} (its private `hookState` field, read and written by {@link Module}). */
export interface HookSlot {
  get(): HookState | null;
  set(state: HookState | null): void;
}

/**
 * The body of {@link Module.registerForwardHook}: add `hook` (installing the `forward` wrapper if `module`
 * has no hooks yet) and return the function that removes it (and the wrapper with the last hook).
 */
export function addForwardHook(module: Module, slot: HookSlot, hook: ForwardHook<Module>): () => void {
  return addHook(module, slot, 'hooks', hook);
}

/**
 * The body of {@link Module.registerForwardPreHook}: add `hook` (installing the `forward` wrapper if
 * `module` has no hooks yet) and return the function that removes it (and the wrapper with the last hook).
 */
export function addForwardPreHook(module: Module, slot: HookSlot, hook: ForwardPreHook<Module>): () => void {
  return addHook(module, slot, 'preHooks', hook);
}

/**
 * The body of {@link Module.registerFullBackwardHook}: add `hook` (installing the `forward` wrapper if
 * `module` has no hooks yet) and return the function that removes it (and the wrapper with the last hook).
 */
export function addFullBackwardHook(module: Module, slot: HookSlot, hook: FullBackwardHook<Module>): () => void {
  return addHook(module, slot, 'backwardHooks', hook);
}

/**
 * The body of {@link Module.registerFullBackwardPreHook}: add `hook` (installing the `forward` wrapper if
 * `module` has no hooks yet) and return the function that removes it (and the wrapper with the last hook).
 */
export function addFullBackwardPreHook(module: Module, slot: HookSlot, hook: FullBackwardPreHook<Module>): () => void {
  return addHook(module, slot, 'backwardPreHooks', hook);
}

function addHook<K extends 'preHooks' | 'hooks' | 'backwardHooks' | 'backwardPreHooks'>(
  module: Module,
  slot: HookSlot,
  kind: K,
  hook: HookState[K][number],
): () => void {
  const state = slot.get() ?? installWrapper(module, slot);
  const list = state[kind] as Array<HookState[K][number]>;
  list.push(hook);
  return () => {
    const i = list.indexOf(hook);
    if (i < 0) return;
    list.splice(i, 1);
    const none =
      state.preHooks.length === 0 &&
      state.hooks.length === 0 &&
      state.backwardHooks.length === 0 &&
      state.backwardPreHooks.length === 0;
    if (none && slot.get() === state) {
      if (state.ownForward !== undefined) Object.defineProperty(module, 'forward', state.ownForward);
      else delete (module as { forward?: unknown }).forward;
      slot.set(null);
    }
  };
}

/**
 * Give `module` an own `forward` that runs the pre-hooks (each on the inputs the previous one left), the
 * `forward` it had, then the hooks (on the inputs `forward` was called with and the output so far); the
 * lists are copied per call, so a hook that adds or removes hooks takes effect from the next call.
 */
function installWrapper(module: Module, slot: HookSlot): HookState {
  const state: HookState = {
    preHooks: [],
    hooks: [],
    backwardHooks: [],
    backwardPreHooks: [],
    ownForward: Object.getOwnPropertyDescriptor(module, 'forward'),
  };
  const inner = module.forward;
  const wrapper = (...inputs: unknown[]): unknown => {
    let args = inputs;
    for (const h of [...state.preHooks]) {
      const replaced: unknown = h(module, args);
      if (replaced !== undefined) args = Array.isArray(replaced) ? replaced : [replaced];
    }
    // full backward hooks (as PyTorch orders them): the inputs gated before forward, the output after the
    // forward hooks; the hooks of this call are those registered now
    const backward =
      (state.backwardHooks.length > 0 || state.backwardPreHooks.length > 0) && isGradEnabled()
        ? new BackwardHookCall(
            module,
            [...state.backwardHooks],
            [...state.backwardPreHooks],
            `${module.constructor.name}.registerFullBackwardHook`,
          )
        : null;
    const forwardArgs = backward === null ? args : backward.gateInputs(args);
    let output = inner.apply(module, forwardArgs);
    for (const h of [...state.hooks]) {
      const replaced = h(module, args, output);
      if (replaced !== undefined) output = replaced;
    }
    return backward === null ? output : backward.gateOutput(output);
  };
  Object.defineProperty(module, 'forward', { value: wrapper, writable: true, configurable: true, enumerable: false });
  slot.set(state);
  return state;
}
