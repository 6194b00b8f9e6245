import type { DType, TypedArray } from './dtype';

/**
 * Where a backend keeps tensor memory of its own (the wasm backend: blocks of WebAssembly memory).
 * `allocate()` asks it first; tensors count their references to its arrays so that
 * `dispose()` and `tidy()` can give a block back the moment its last tensor is gone.
 */
export interface BufferPool {
  /** An array of the pool (zero-filled when `zeroed`), or null to use ordinary JavaScript memory. */
  allocate(dtype: DType, size: number, zeroed: boolean): TypedArray | null;
  /** Count one more tensor over `data` (ignored when `data` is not one of the pool's arrays). */
  retain(data: TypedArray): void;
  /** Count one tensor fewer over `data`; the block is reused once none is left. */
  release(data: TypedArray): void;
  /** Whether `data` is one of the pool's arrays. */
  owns(data: TypedArray): boolean;
  /** Called when the outermost open scope has closed and disposed what it recorded. */
  scopesClosed?(): void;
}

let pool: BufferPool | null = null;

/** Install (or with `null`, remove) the pool that `allocate()` asks first. Used by backends. */
export function setBufferPool(next: BufferPool | null): void {
  pool = next;
}

/** The installed pool, or null. */
export function getBufferPool(): BufferPool | null {
  return pool;
}

/** Something a scope can dispose: a tensor. */
export interface ScopedValue {
  dispose(): void;
}

const scopes: Set<ScopedValue>[] = [];

/** Whether a {@link tidy} scope is open (its temporaries will be disposed when it ends). */
export function inScope(): boolean {
  return scopes.length !== 0;
}

/** Record `value` in the innermost open scope, if any (the Tensor constructor calls this). */
export function trackInScope(value: ScopedValue): void {
  const n = scopes.length;
  if (n !== 0) scopes[n - 1].add(value);
}

/** Take `value` out of every open scope, so that no scope disposes it. */
export function untrack(value: ScopedValue): void {
  for (let i = 0; i < scopes.length; i++) scopes[i].delete(value);
}

/** Open a scope: values created from now on are recorded in it until {@link closeScope}. */
export function openScope(): Set<ScopedValue> {
  const scope = new Set<ScopedValue>();
  scopes.push(scope);
  return scope;
}

/**
 * Close `scope` (the innermost): dispose what it recorded except `survivors`, which move to the
 * enclosing scope (if there is one), so that they are disposed when it ends.
 */
export function closeScope(scope: Set<ScopedValue>, survivors: ReadonlySet<ScopedValue>): void {
  const at = scopes.lastIndexOf(scope);
  if (at >= 0) scopes.splice(at, 1);
  const parent = scopes.length === 0 ? null : scopes[scopes.length - 1];
  for (const value of scope) {
    if (survivors.has(value)) parent?.add(value);
    else value.dispose();
  }
  if (scopes.length === 0) pool?.scopesClosed?.();
}
