import { ValueError } from './errors';
import { closeScope, openScope, type ScopedValue, untrack } from './lifetime';
import { Tensor } from './tensor';

function collect(value: unknown, into: Set<ScopedValue>, depth: number): void {
  if (value instanceof Tensor) {
    into.add(value);
    return;
  }
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) collect(v, into, depth + 1);
}

/**
 * Run `fn` and then dispose every tensor created while it ran, except the tensors it returns (alone,
 * or in arrays and plain objects), tensors passed to {@link keep}, and gradients that `backward()`
 * stored in `.grad`. Like TensorFlow.js's `tf.tidy`. With the wasm backend this returns the step's
 * temporaries (activations, their gradients, the loss) to the memory pool at once instead of when the
 * garbage collector gets to them, so a training loop reuses the same blocks of WebAssembly memory
 * every step. With the cpu backend it only marks them disposed.
 *
 * Lifetime rules: a tensor created inside and used after `tidy` returned throws a
 * {@link DisposedError} (return it, `keep()` it, or `clone()` it inside). Tensors created before
 * `tidy` (parameters, inputs, optimizer state) are never touched. Nested `tidy` calls hand what the
 * inner one returns to the outer one. `fn` must be synchronous: a Promise result is rejected, because
 * tensors created after an `await` would escape the scope.
 *
 * @example
 * ```ts
 * for (let i = 0; i < 100; i++) {
 *   const loss = tidy(() => {
 *     opt.zeroGrad();
 *     const l = crossEntropy(model.forward(x), y);
 *     l.backward();
 *     opt.step();
 *     return l.item(); // a number: every tensor of the step is disposed
 *   });
 * }
 * ```
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError(`tidy: fn must be a function, got ${typeof fn}`);
  const scope = openScope();
  let result: T;
  const survivors = new Set<ScopedValue>();
  try {
    result = fn();
  } catch (error) {
    closeScope(scope, survivors);
    throw error;
  }
  if (result instanceof Promise) {
    closeScope(scope, survivors);
    throw new ValueError(
      'tidy: fn returned a Promise; tidy only works with synchronous functions (tensors created after an await would escape it)',
    );
  }
  collect(result, survivors, 0);
  closeScope(scope, survivors);
  return result;
}

/**
 * Keep `tensor` alive past the end of the enclosing {@link tidy} scopes (it is then disposed only by
 * its own `dispose()` or by the garbage collector). Returns the tensor.
 *
 * @example
 * ```ts
 * let best: Tensor | null = null;
 * tidy(() => {
 *   const out = model.forward(x);
 *   best = keep(out.detach());
 * });
 * ```
 */
export function keep<T extends Tensor>(tensor: T): T {
  if (!(tensor instanceof Tensor)) throw new ValueError('keep: tensor must be a Tensor');
  untrack(tensor);
  return tensor;
}

/** A scope opened by {@link startScope}, closed by {@link endScope}. */
export interface TidyScope {
  /** The tensors created since the scope opened (and not kept). */
  readonly values: ReadonlySet<unknown>;
}

/**
 * Open a {@link tidy} scope by hand, for code that cannot run inside one synchronous function (a
 * training loop that awaits between its steps). Every tensor created until {@link endScope} is
 * disposed then, except those passed to it or kept; while the scope is open, tensors created by any
 * other code (a timer, another async task) are recorded in it too, so keep such code out of it.
 *
 * @example
 * ```ts
 * const scope = startScope();
 * try {
 *   const loss = crossEntropy(model.forward(x), y);
 *   loss.backward();
 *   await report(loss.item());
 * } finally {
 *   endScope(scope);
 * }
 * ```
 */
export function startScope(): TidyScope {
  return { values: openScope() };
}

/**
 * Close a scope from {@link startScope}: dispose what was created in it, except `survivors` (which
 * move to the enclosing scope, if any). Scopes must be closed innermost first.
 *
 * @example
 * ```ts
 * const scope = startScope();
 * const y = x.mul(2).add(1);
 * endScope(scope, [y]); // the x.mul(2) temporary is disposed, y is not
 * ```
 */
export function endScope(scope: TidyScope, survivors: readonly Tensor[] = []): void {
  if (scope === null || typeof scope !== 'object' || !(scope.values instanceof Set))
    throw new ValueError('endScope: scope must come from startScope()');
  closeScope(scope.values as Set<ScopedValue>, new Set<ScopedValue>(survivors));
}
