import { isHalfDType } from './dtype';
import { decodeHalf } from './half';
import type { Tensor } from './tensor';

// Printing follows PyTorch's torch/_tensor_str.py with its default print options.
const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;
const PREFIX = 'tensor(';

/** The exact decimal value of `|x|` (finite) as an integer `digits` times `10^exp10`. */
function exactDecimal(x: number): { digits: bigint; exp10: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp2: number;
  if (biased === 0) exp2 = -1074;
  else {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  if (exp2 >= 0) return { digits: mantissa << BigInt(exp2), exp10: 0 };
  // m / 2^k = m * 5^k / 10^k
  return { digits: mantissa * 5n ** BigInt(-exp2), exp10: exp2 };
}

/** `n / 10^drop`, rounded half to even like Python's float formatting. */
function roundDigits(n: bigint, drop: number): bigint {
  if (drop <= 0) return n * 10n ** BigInt(-drop);
  const scale = 10n ** BigInt(drop);
  const q = n / scale;
  const r = n % scale;
  const twice = 2n * r;
  if (twice > scale || (twice === scale && q % 2n === 1n)) return q + 1n;
  return q;
}

function signOf(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

function nonFinite(x: number): string | null {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  return null;
}

/** Python's `'{:.{p}f}'.format(x)`: fixed point with `p` decimals, exactly rounded half to even. */
function formatFixed(x: number, p: number): string {
  const special = nonFinite(x);
  if (special !== null) return special;
  const { digits, exp10 } = exactDecimal(x);
  const scaled = roundDigits(digits, -(exp10 + p))
    .toString()
    .padStart(p + 1, '0');
  const body = p === 0 ? scaled : `${scaled.slice(0, scaled.length - p)}.${scaled.slice(scaled.length - p)}`;
  return signOf(x) + body;
}

/** Python's `'{:.{p}e}'.format(x)`: `p` decimals after the leading digit, exponent with at least 2 digits. */
function formatExponential(x: number, p: number): string {
  const special = nonFinite(x);
  if (special !== null) return special;
  let mant: string;
  let exponent: number;
  if (x === 0) {
    mant = '0'.repeat(p + 1);
    exponent = 0;
  } else {
    const { digits, exp10 } = exactDecimal(x);
    const length = digits.toString().length;
    exponent = length - 1 + exp10;
    mant = roundDigits(digits, length - (p + 1)).toString();
    if (mant.length > p + 1) {
      // Rounding carried into a new leading digit (9.99995 -> 10.0000): shift it back.
      mant = mant.slice(0, p + 1);
      exponent += 1;
    }
  }
  const lead = p === 0 ? mant : `${mant[0]}.${mant.slice(1)}`;
  const e = Math.abs(exponent).toString().padStart(2, '0');
  return `${signOf(x)}${lead}e${exponent < 0 ? '-' : '+'}${e}`;
}

/** Chooses one number format for a whole tensor, like PyTorch's `_Formatter`. */
class Formatter {
  private readonly floating: boolean;
  private intMode = true;
  private sciMode = false;
  /** The width every element is right-aligned to. */
  width = 1;

  constructor(values: ArrayLike<number>, floating: boolean) {
    this.floating = floating;
    if (!floating) {
      for (let i = 0; i < values.length; i++) this.width = Math.max(this.width, String(values[i]).length);
      return;
    }
    // NOTE: like PyTorch, only the nonzero finite values decide the mode and the width.
    const finite: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v) && v !== 0) finite.push(v);
    }
    if (finite.length === 0) return;
    let minAbs = Number.POSITIVE_INFINITY;
    let maxAbs = 0;
    for (const v of finite) {
      const a = Math.abs(v);
      if (a < minAbs) minAbs = a;
      if (a > maxAbs) maxAbs = a;
      if (v !== Math.ceil(v)) this.intMode = false;
    }
    const wide = maxAbs / minAbs > 1000 || maxAbs > 1e8;
    this.sciMode = this.intMode ? wide : wide || minAbs < 1e-4;
    for (const v of finite) {
      let len: number;
      if (this.sciMode) len = formatExponential(v, PRECISION).length;
      else if (this.intMode) len = formatFixed(v, 0).length + 1;
      else len = formatFixed(v, PRECISION).length;
      if (len > this.width) this.width = len;
    }
  }

  format(value: number): string {
    let s: string;
    if (!this.floating) s = String(value);
    else if (this.sciMode) s = formatExponential(value, PRECISION);
    else if (this.intMode) {
      s = formatFixed(value, 0);
      if (Number.isFinite(value)) s += '.';
    } else s = formatFixed(value, PRECISION);
    return s.padStart(this.width, ' ');
  }
}

/** A row-major view of part of a tensor: `offset` into `data` with the remaining `shape`. */
interface View {
  data: ArrayLike<number>;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

function stridesFor(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

function sub(view: View, i: number): View {
  return {
    data: view.data,
    shape: view.shape.slice(1),
    strides: view.strides.slice(1),
    offset: view.offset + i * view.strides[0],
  };
}

/** The indices printed along a dimension of length `n`: all, or the first and last EDGE_ITEMS. */
function shownIndices(n: number, summarize: boolean): number[] | null {
  if (!summarize || n <= 2 * EDGE_ITEMS) return null;
  const out: number[] = [];
  for (let i = 0; i < EDGE_ITEMS; i++) out.push(i);
  for (let i = n - EDGE_ITEMS; i < n; i++) out.push(i);
  return out;
}

/** The values that will be printed (PyTorch's `get_summarized_data`), which decide the format. */
function collectShown(view: View, summarize: boolean, out: number[]): void {
  if (view.shape.length === 0) {
    out.push(view.data[view.offset]);
    return;
  }
  const n = view.shape[0];
  const idx = shownIndices(n, summarize) ?? Array.from({ length: n }, (_, i) => i);
  if (view.shape.length === 1) {
    for (const i of idx) out.push(view.data[view.offset + i * view.strides[0]]);
    return;
  }
  for (const i of idx) collectShown(sub(view, i), summarize, out);
}

function vectorString(view: View, indent: number, summarize: boolean, fmt: Formatter): string {
  const n = view.shape[0];
  const elementLength = fmt.width + 2;
  const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / elementLength));
  const idx = shownIndices(n, summarize);
  const items: string[] = [];
  const at = (i: number) => fmt.format(view.data[view.offset + i * view.strides[0]]);
  if (idx === null) {
    for (let i = 0; i < n; i++) items.push(at(i));
  } else {
    for (let k = 0; k < EDGE_ITEMS; k++) items.push(at(idx[k]));
    items.push(' ...');
    for (let k = EDGE_ITEMS; k < idx.length; k++) items.push(at(idx[k]));
  }
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
  return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
}

function tensorString(view: View, indent: number, summarize: boolean, fmt: Formatter): string {
  const dim = view.shape.length;
  if (dim === 0) return fmt.format(view.data[view.offset]);
  if (dim === 1) return vectorString(view, indent, summarize, fmt);
  const n = view.shape[0];
  const idx = shownIndices(n, summarize);
  const parts: string[] = [];
  const at = (i: number) => tensorString(sub(view, i), indent + 1, summarize, fmt);
  if (idx === null) {
    for (let i = 0; i < n; i++) parts.push(at(i));
  } else {
    for (let k = 0; k < EDGE_ITEMS; k++) parts.push(at(idx[k]));
    parts.push('...');
    for (let k = EDGE_ITEMS; k < idx.length; k++) parts.push(at(idx[k]));
  }
  return `[${parts.join(`,${'\n'.repeat(dim - 1)}${' '.repeat(indent + 1)}`)}]`;
}

/** Append `, suffix` items, breaking onto a new line when a line would pass 80 characters (PyTorch's rule). */
function addSuffixes(body: string, suffixes: readonly string[]): string {
  let out = body;
  let lastLineLength = body.length - body.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > LINE_WIDTH) {
      out += `,\n${' '.repeat(PREFIX.length)}${suffix}`;
      lastLineLength = PREFIX.length + suffix.length;
    } else {
      out += `, ${suffix}`;
      lastLineLength += suffix.length + 2;
    }
  }
  return `${out})`;
}

/**
 * Print a tensor like PyTorch's `repr`: `tensor([[ 0.1000, -2.5000], [ 3.0000,  4.0000]])` with every
 * element right-aligned to one width, 4 decimals (or `1.` for integer values, or `1.0000e+08` when
 * the magnitudes span more than 1000x or exceed 1e8), and `...` past 1000 elements (the first and
 * last 3 along each dimension). A non-default dtype (float64, int32, float16, bfloat16; half values
 * are printed decoded), `requiresGrad=true` on a leaf and `gradFn=<op>` on an op result are appended.
 *
 * @example
 * ```ts
 * formatTensor(tensor([1, 2.5])); // 'tensor([1.0000, 2.5000])'
 * formatTensor(tensor([[1, 2], [3, 4]], { dtype: 'int32' }));
 * // 'tensor([[1, 2],\n        [3, 4]], dtype=int32)'
 * ```
 */
export function formatTensor(t: Tensor): string {
  const suffixes: string[] = [];
  let body: string;
  if (t.size === 0) {
    if (t.shape.length !== 1) suffixes.push(`shape=[${t.shape.join(', ')}]`);
    body = '[]';
  } else {
    const summarize = t.size > THRESHOLD;
    // float16/bfloat16 store bit patterns: print the numbers they stand for.
    const values = isHalfDType(t.dtype) ? decodeHalf(t.values as Uint16Array, t.dtype) : t.values;
    const view: View = { data: values, shape: t.shape, strides: stridesFor(t.shape), offset: 0 };
    const shown: number[] = [];
    if (summarize) collectShown(view, summarize, shown);
    const fmt = new Formatter(summarize ? shown : values, t.dtype !== 'int32');
    body = tensorString(view, PREFIX.length, summarize, fmt);
  }
  if (t.dtype !== 'float32') suffixes.push(`dtype=${t.dtype}`);
  if (t.gradFn !== null) suffixes.push(`gradFn=<${t.gradFn.spec.name}>`);
  else if (t.requiresGrad) suffixes.push('requiresGrad=true');
  return addSuffixes(PREFIX + body, suffixes);
}
