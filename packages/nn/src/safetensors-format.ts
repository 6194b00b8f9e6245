import type { DType } from '@nablajs/core';

/**
 * The element types of the safetensors format that nabla reads. Floating types load as `float32`
 * (`F32`, `F16`, `BF16`) or `float64` (`F64`); integer and boolean types load as `int32`, and a value that does
 * not fit in int32 (possible for `I64`, `U32`, `U64`) is an error.
 *
 * @example
 * ```ts
 * const dtype: SafetensorsDType = 'BF16'; // loads as float32
 * ```
 */
export type SafetensorsDType =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/**
 * The default bound on the JSON header's length: 100 MB, as in the reference implementation.
 *
 * @example
 * ```ts
 * loadSafetensors(bytes, { maxHeaderBytes: 2 * SAFETENSORS_MAX_HEADER_BYTES }); // trust a huge header
 * ```
 */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/**
 * The default bound on the number of tensors a file may list, and on the number of its `__metadata__` entries:
 * 2^17 = 131,072. Loading costs time and memory per entry (see {@link loadSafetensors}), and the 100 MB header
 * bound alone admits about 1.7 million empty tensors (several seconds and most of a gigabyte); this keeps the
 * worst case near 0.7 s and 100 MB. Real files
 * list far fewer (a large language model's shard holds a few thousand tensors, a nabla checkpoint one per parameter
 * and one per optimizer-state array); pass `maxEntries` to read a larger one.
 *
 * @example
 * ```ts
 * loadSafetensors(bytes, { maxEntries: 4 * SAFETENSORS_MAX_ENTRIES }); // trust a file with more tensors
 * ```
 */
export const SAFETENSORS_MAX_ENTRIES = 2 ** 17;

export const METADATA_KEY = '__metadata__';

export interface DTypeInfo {
  bytes: number;
  nabla: DType;
}

export const DTYPE_INFO: Record<SafetensorsDType, DTypeInfo> = {
  F64: { bytes: 8, nabla: 'float64' },
  F32: { bytes: 4, nabla: 'float32' },
  F16: { bytes: 2, nabla: 'float32' },
  BF16: { bytes: 2, nabla: 'float32' },
  I64: { bytes: 8, nabla: 'int32' },
  I32: { bytes: 4, nabla: 'int32' },
  I16: { bytes: 2, nabla: 'int32' },
  I8: { bytes: 1, nabla: 'int32' },
  U64: { bytes: 8, nabla: 'int32' },
  U32: { bytes: 4, nabla: 'int32' },
  U16: { bytes: 2, nabla: 'int32' },
  U8: { bytes: 1, nabla: 'int32' },
  BOOL: { bytes: 1, nabla: 'int32' },
};

// Dtypes the format defines but nabla cannot represent: reported as unsupported rather than unknown.
export const UNSUPPORTED_DTYPES = new Set(['F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);

export const SAVE_DTYPES: Record<DType, SafetensorsDType> = {
  float64: 'F64',
  float32: 'F32',
  int32: 'I32',
  float16: 'F16',
  bfloat16: 'BF16',
};

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function isKnownDType(dtype: string): dtype is SafetensorsDType {
  return Object.hasOwn(DTYPE_INFO, dtype);
}

// The supported dtypes by code: the parser stores a code per entry, not a string.
export const DTYPE_NAMES = Object.keys(DTYPE_INFO) as SafetensorsDType[];
export const DTYPE_BYTES = Uint8Array.from(DTYPE_NAMES, (name) => DTYPE_INFO[name].bytes);
export const DTYPE_CODES = Object.fromEntries(DTYPE_NAMES.map((name, code) => [name, code])) as Record<
  SafetensorsDType,
  number
>;

/** The code of the supported dtype spelled by `text[start, end)`, or -1; compares in place, allocates nothing. */
export function dtypeCode(text: string, start: number, end: number): number {
  for (let code = 0; code < DTYPE_NAMES.length; code++) {
    const name = DTYPE_NAMES[code];
    if (name.length === end - start && text.startsWith(name, start)) return code;
  }
  return -1;
}
