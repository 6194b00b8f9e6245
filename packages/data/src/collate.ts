import { ShapeError, stack, Tensor, tensor, ValueError } from '@nablajs/core';
import { formatShape } from './util';

/**
 * The batch that {@link defaultCollate} makes from items of type `T`: tensors and numbers become
 * tensors with a leading batch dimension, tuples, arrays and plain objects keep their structure.
 */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number
    ? Tensor
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : T extends object
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : never;

/**
 * Merge a list of items into one batch, like `torch.utils.data.default_collate`: tensors of one shape
 * are stacked along a new first dimension, numbers become a 1-D tensor (int32 when all are integers,
 * float32 otherwise, where PyTorch would give int64 and float64), and tuples, arrays and plain
 * objects are collated field by field.
 *
 * See https://pytorch.org/docs/stable/data.html#torch.utils.data.default_collate
 *
 * @example
 * ```ts
 * const [x, y] = defaultCollate([[tensor([1, 2]), 0], [tensor([3, 4]), 1]]);
 * x.shape; // [2, 2]
 * y.toArray(); // [0, 1] (int32)
 * ```
 */
export function defaultCollate<T>(items: readonly T[]): Collated<T> {
  if (!Array.isArray(items) || items.length === 0)
    throw new ValueError('defaultCollate: expected a non-empty array of items');
  return collateField(items as readonly unknown[], '') as Collated<T>;
}

/** Name a field of an item in messages: `item 3`, or `field [0] of item 3`. */
function where(path: string, item: number): string {
  return path === '' ? `item ${item}` : `field ${path} of item ${item}`;
}

function collateField(values: readonly unknown[], path: string): unknown {
  const first = values[0];
  if (first instanceof Tensor) {
    values.forEach((v, i) => {
      if (!(v instanceof Tensor))
        throw new ValueError(`defaultCollate: ${where(path, i)} is not a Tensor, but ${where(path, 0)} is`);
      if (v.shape.length !== first.shape.length || v.shape.some((n, d) => n !== first.shape[d]))
        throw new ShapeError(
          `defaultCollate: ${where(path, i)} has shape ${formatShape(v.shape)} but ${where(path, 0)} has shape ${formatShape(first.shape)}; a batch needs equal shapes`,
        );
    });
    return stack(values as Tensor[]);
  }
  if (typeof first === 'number') {
    values.forEach((v, i) => {
      if (typeof v !== 'number')
        throw new ValueError(`defaultCollate: ${where(path, i)} is not a number, but ${where(path, 0)} is`);
    });
    const numbers = values as number[];
    return tensor(numbers, { dtype: numbers.every(Number.isInteger) ? 'int32' : 'float32' });
  }
  if (Array.isArray(first)) {
    values.forEach((v, i) => {
      if (!Array.isArray(v) || v.length !== first.length)
        throw new ValueError(
          `defaultCollate: ${where(path, i)} is not an array of ${first.length} entries like ${where(path, 0)}`,
        );
    });
    return first.map((_, k) =>
      collateField(
        values.map((v) => (v as unknown[])[k]),
        `${path}[${k}]`,
      ),
    );
  }
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      result[key] = collateField(
        values.map((v, i) => {
          if (v === null || typeof v !== 'object' || !(key in v))
            throw new ValueError(
              `defaultCollate: ${where(path, i)} has no field ${JSON.stringify(key)}, but ${where(path, 0)} has`,
            );
          return (v as Record<string, unknown>)[key];
        }),
        path === '' ? key : `${path}.${key}`,
      );
    }
    return result;
  }
  throw new ValueError(
    `defaultCollate: cannot collate ${where(path, 0)} of type ${first === null ? 'null' : typeof first}; expected tensors, numbers, arrays or plain objects (pass a collate function to DataLoader)`,
  );
}
