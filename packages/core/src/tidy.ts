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
