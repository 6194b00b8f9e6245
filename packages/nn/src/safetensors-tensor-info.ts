import { quote, SafetensorsError } from './safetensors-error';
import { DTYPE_INFO, isKnownDType, type SafetensorsDType, UNSUPPORTED_DTYPES } from './safetensors-format';

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

export function readTensorInfo(name: string, value: JsonValue, dataLength: number): TensorInfo {
  const where = `tensor ${quote(name)}`;
  if (!(value instanceof Map))
    throw new SafetensorsError(`loadSafetensors: ${where} must be an object, got ${jsonKind(value)}`);

  const dtype = value.get('dtype');
  if (typeof dtype !== 'string')
    throw new SafetensorsError(`loadSafetensors: ${where} needs a string "dtype", got ${jsonKind(dtype)}`);
  if (!isKnownDType(dtype)) {
    const kind = UNSUPPORTED_DTYPES.has(dtype) ? 'unsupported' : 'unknown';
    throw new SafetensorsError(
      `loadSafetensors: ${where} has ${kind} dtype ${quote(dtype)}; supported: ${Object.keys(DTYPE_INFO).join(', ')}`,
    );
  }

  const shape = value.get('shape');
  if (!Array.isArray(shape))
    throw new SafetensorsError(`loadSafetensors: ${where} needs a "shape" array, got ${jsonKind(shape)}`);
  let count = 1;
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0)
      throw new SafetensorsError(
        `loadSafetensors: ${where} has shape ${JSON.stringify(shape)}; dimensions must be non-negative integers`,
      );
    count *= dim;
    if (count > Number.MAX_SAFE_INTEGER)
      throw new SafetensorsError(`loadSafetensors: ${where} has shape ${JSON.stringify(shape)}, too many elements`);
  }

  const offsets = value.get('data_offsets');
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    offsets.some((o) => typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0)
  )
    throw new SafetensorsError(
      `loadSafetensors: ${where} needs "data_offsets" [begin, end] of non-negative integers, got ${jsonText(offsets)}`,
    );
  const [begin, end] = offsets as number[];
  if (end < begin)
    throw new SafetensorsError(`loadSafetensors: ${where} has data_offsets [${begin}, ${end}] with end < begin`);
  if (end > dataLength)
    throw new SafetensorsError(
      `loadSafetensors: ${where} has data_offsets [${begin}, ${end}] outside the data area of ${dataLength} bytes`,
    );
  const expected = count * DTYPE_INFO[dtype].bytes;
  if (end - begin !== expected)
    throw new SafetensorsError(
      `loadSafetensors: ${where} has dtype ${dtype} and shape [${shape.join(',')}] (${expected} bytes) ` +
        `but data_offsets [${begin}, ${end}] span ${end - begin} bytes`,
    );
  return { name, dtype, shape: shape as number[], count, begin, end };
}

// A JSON value as the header parser builds it: objects become Maps, so no key can reach a prototype.
export type JsonValue = null | boolean | number | string | JsonValue[] | Map<string, JsonValue>;

export function jsonKind(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function jsonText(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Map) return 'an object';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
