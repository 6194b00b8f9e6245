import { tensor } from '../creation';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { indexSelect } from './index-select';
import { matmul } from './matmul';
import { mul } from './mul';
import { permute } from './permute';
import { reshape } from './reshape';
import { sum } from './sum';

/** One side of an einsum equation: label indices (A-Z 0-25, a-z 26-51) and where its ellipsis sits. */
interface Term {
  readonly text: string;
  readonly labels: number[];
  /** The position in `labels` the ellipsis stands before (-1: none). */
  readonly ellipsisAt: number;
}

function labelIndex(code: number): number {
  if (code >= 65 && code <= 90) return code - 65;
  if (code >= 97 && code <= 122) return code - 97 + 26;
  return -1;
}

function labelName(index: number): string {
  return String.fromCharCode(index < 26 ? 65 + index : 97 + index - 26);
}

function parseTerm(text: string, what: string): Term {
  const labels: number[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < text.length; ) {
    if (text[i] === '.') {
      if (!text.startsWith('...', i))
        throw new ValueError(`einsum: equation has a '.' in ${what} that is not part of an ellipsis '...'`);
      if (ellipsisAt >= 0) throw new ValueError(`einsum: equation has more than one ellipsis in ${what}`);
      ellipsisAt = labels.length;
      i += 3;
      continue;
    }
    const index = labelIndex(text.charCodeAt(i));
    if (index < 0)
      throw new ValueError(
        `einsum: equation has ${JSON.stringify(text[i])} in ${what}; subscripts are letters a-z and A-Z, ',' separates operands, '->' starts the output and '...' is an ellipsis`,
      );
    labels.push(index);
    i++;
  }
  return { text, labels, ellipsisAt };
}

/** What {@link plan} works out from the equation and the operands' shapes. */
interface Plan {
  /** Dims of the canonical layout: the ellipsis dims first, then each distinct label in index order. */
  readonly rank: number;
  /** Per operand, the canonical dim of each of its dims. */
  readonly dims: number[][];
  /** The output's canonical dims, in the output's order. */
  readonly output: number[];
}

function plan(equation: string, shapes: readonly (readonly number[])[]): Plan {
  const compact = equation.replace(/\s+/g, '');
  const arrow = compact.indexOf('->');
  if (arrow >= 0 && compact.indexOf('->', arrow + 2) >= 0)
    throw new ValueError(`einsum: equation ${JSON.stringify(equation)} has more than one '->'`);
  const lhs = arrow >= 0 ? compact.slice(0, arrow) : compact;
  const inputs = lhs.split(',').map((t, i) => parseTerm(t, `the subscripts of operand ${i}`));
  const output = arrow >= 0 ? parseTerm(compact.slice(arrow + 2), 'the output') : null;
  if (inputs.length !== shapes.length)
    throw new ValueError(
      `einsum: equation ${JSON.stringify(equation)} names ${inputs.length} operand${inputs.length === 1 ? '' : 's'} but ${shapes.length} ${shapes.length === 1 ? 'was' : 'were'} given`,
    );

  // How many dims each operand's ellipsis covers, and their broadcast sizes (aligned on the right).
  let ellipsisRank = 0;
  const covered = inputs.map((term, i) => {
    const ndim = shapes[i].length;
    const named = term.labels.length;
    if (term.ellipsisAt < 0 ? ndim !== named : ndim < named)
      throw new ShapeError(
        `einsum: operand ${i} has shape ${formatShape(shapes[i])} (${ndim} dims) but its subscripts ${JSON.stringify(term.text)} name ${named}${term.ellipsisAt < 0 ? ' and have no ellipsis' : ' besides the ellipsis'}`,
      );
    const n = term.ellipsisAt < 0 ? 0 : ndim - named;
    ellipsisRank = Math.max(ellipsisRank, n);
    return n;
  });
  const ellipsisSizes = new Array<number>(ellipsisRank).fill(1);
  inputs.forEach((term, i) => {
    for (let j = 0; j < covered[i]; j++) {
      const size = shapes[i][term.ellipsisAt + j];
      const at = ellipsisRank - covered[i] + j;
      if (size !== 1 && ellipsisSizes[at] !== 1 && ellipsisSizes[at] !== size)
        throw new ShapeError(
          `einsum: the ellipsis of operand ${i} (shape ${formatShape(shapes[i])}) has size ${size} where another operand's has ${ellipsisSizes[at]}; they must be equal or 1`,
        );
      if (size !== 1) ellipsisSizes[at] = size;
    }
  });

  // Each label's size: equal within one operand (a diagonal), equal or 1 across operands.
  const labelSize = new Map<number, number>();
  const counts = new Map<number, number>();
  inputs.forEach((term, i) => {
    const own = new Map<number, number>();
    term.labels.forEach((label, j) => {
      counts.set(label, (counts.get(label) ?? 0) + 1);
      const size = shapes[i][j < term.ellipsisAt || term.ellipsisAt < 0 ? j : j + covered[i]];
      const before = own.get(label);
      if (before !== undefined && before !== size)
        throw new ShapeError(
          `einsum: subscript ${labelName(label)} is repeated in operand ${i} (shape ${formatShape(shapes[i])}) with sizes ${before} and ${size}; a repeated subscript takes a diagonal and needs equal sizes`,
        );
      own.set(label, size);
      const seen = labelSize.get(label);
      if (seen === undefined || seen === 1) labelSize.set(label, size);
      else if (size !== 1 && size !== seen)
        throw new ShapeError(
          `einsum: subscript ${labelName(label)} has size ${size} in operand ${i} (shape ${formatShape(shapes[i])}) but ${seen} in an earlier operand; they must be equal or 1`,
        );
    });
  });

  const distinct = [...labelSize.keys()].sort((a, b) => a - b);
  const canonical = new Map(distinct.map((label, r) => [label, ellipsisRank + r]));
  const ellipsisDims = Array.from({ length: ellipsisRank }, (_, e) => e);
  const dims = inputs.map((term, i) => {
    const own = ellipsisDims.slice(ellipsisRank - covered[i]);
    const named = term.labels.map((label) => canonical.get(label) as number);
    return term.ellipsisAt < 0 ? named : [...named.slice(0, term.ellipsisAt), ...own, ...named.slice(term.ellipsisAt)];
  });

  let out: number[];
  if (output === null) {
    // Implicit output: the ellipsis dims, then the subscripts used exactly once, in alphabetical order (A-Z, a-z).
    out = [
      ...ellipsisDims,
      ...distinct.filter((label) => counts.get(label) === 1).map((l) => canonical.get(l) as number),
    ];
  } else {
    const seen = new Set<number>();
    for (const label of output.labels) {
      if (seen.has(label))
        throw new ValueError(`einsum: subscript ${labelName(label)} appears more than once in the output`);
      seen.add(label);
      if (!canonical.has(label))
        throw new ValueError(
          `einsum: output subscript ${labelName(label)} does not appear in any operand's subscripts`,
        );
    }
    const named = output.labels.map((label) => canonical.get(label) as number);
    out =
      output.ellipsisAt < 0
        ? named
        : [...named.slice(0, output.ellipsisAt), ...ellipsisDims, ...named.slice(output.ellipsisAt)];
  }
  return { rank: ellipsisRank + distinct.length, dims, output: out };
}

function permuteIfNeeded(x: Tensor, perm: readonly number[]): Tensor {
  return perm.every((p, i) => p === i) ? x : permute(x, perm);
}

/**
 * `x` in the canonical layout of `rank` dims: its repeated dims reduced to their diagonal, its dims put in
 * canonical order and size-1 dims inserted for those it lacks. `dims[i]` is the canonical dim of `x`'s dim i.
 */
function toCanonical(x: Tensor, dims: readonly number[], rank: number): Tensor {
  let t = x;
  let at = [...dims];
  for (;;) {
    const repeated = at.find((d, i) => at.indexOf(d) !== i);
    if (repeated === undefined) break;
    // The diagonal of the k dims labelled `repeated`: moved last, flattened, every (1 + n + ... + n^(k-1))-th entry.
    const same = at.flatMap((d, i) => (d === repeated ? [i] : []));
    const rest = at.flatMap((d, i) => (d === repeated ? [] : [i]));
    t = permuteIfNeeded(t, [...rest, ...same]);
    const n = t.shape[t.ndim - 1];
    t = reshape(t, [...t.shape.slice(0, rest.length), n ** same.length]);
    const stride = same.reduce((s, _, j) => s + n ** j, 0);
    const picks = Array.from({ length: n }, (_, j) => j * stride);
    t = indexSelect(t, t.ndim - 1, tensor(picks, { dtype: 'int32' }));
    at = [...rest.map((i) => at[i]), repeated];
  }
  const order = at.map((_, i) => i).sort((a, b) => at[a] - at[b]);
  t = permuteIfNeeded(t, order);
  const shape = new Array<number>(rank).fill(1);
  order.forEach((i, j) => {
    shape[at[i]] = t.shape[j];
  });
  return t.ndim === rank ? t : reshape(t, shape);
}

/**
 * The product of two canonical tensors summed over `summed` (dims no later operand and not the output
 * needs): a dim only one side has is summed on that side first; dims both have are a batched product's
 * batch (kept) or inner (summed) dims. The result is canonical, with the summed dims of size 1.
 */
function contractPair(left: Tensor, right: Tensor, summed: ReadonlySet<number>): Tensor {
  const rank = left.ndim;
  const sumOf = (t: Tensor, other: Tensor) => {
    const only: number[] = [];
    for (let d = 0; d < rank; d++) if (summed.has(d) && t.shape[d] !== 1 && other.shape[d] === 1) only.push(d);
    return only.length > 0 ? sum(t, only, true) : t;
  };
  const l = sumOf(left, right);
  const r = sumOf(right, left);
  const batch: number[] = [];
  const inner: number[] = [];
  const leftOnly: number[] = [];
  const rightOnly: number[] = [];
  const neither: number[] = [];
  for (let d = 0; d < rank; d++) {
    const inLeft = l.shape[d] !== 1;
    const inRight = r.shape[d] !== 1;
    if (inLeft && inRight) (summed.has(d) ? inner : batch).push(d);
    else if (inLeft) leftOnly.push(d);
    else if (inRight) rightOnly.push(d);
    else neither.push(d);
  }
  if (inner.length === 0) return mul(l, r);
  const size = (t: Tensor, ds: readonly number[]) => ds.reduce((p, d) => p * t.shape[d], 1);
  const l3 = reshape(permuteIfNeeded(l, [...batch, ...leftOnly, ...inner, ...rightOnly, ...neither]), [
    size(l, batch),
    size(l, leftOnly),
    size(l, inner),
  ]);
  const r3 = reshape(permuteIfNeeded(r, [...batch, ...inner, ...rightOnly, ...leftOnly, ...neither]), [
    size(r, batch),
    size(r, inner),
    size(r, rightOnly),
  ]);
  const kept = [...batch, ...leftOnly, ...rightOnly];
  const product = reshape(
    matmul(l3, r3),
    kept.map((d) => (rightOnly.includes(d) ? r.shape[d] : l.shape[d])),
  );
  const order = kept.map((_, i) => i).sort((a, b) => kept[a] - kept[b]);
  const sorted = permuteIfNeeded(product, order);
  const shape = new Array<number>(rank).fill(1);
  for (const d of kept) shape[d] = rightOnly.includes(d) ? r.shape[d] : l.shape[d];
  return reshape(sorted, shape);
}

/**
 * The sum of products of the operands' elements over the dims the `equation` names, in Einstein's
 * notation, like `torch.einsum`: `einsum('ij,jk->ik', a, b)` is the matrix product `a·b`.
 *
 * - Each operand's subscripts are letters (`a-z`, `A-Z`), one per dim, separated by commas; spaces
 *   are ignored. A subscript in several operands labels dims that must have the same size or size 1
 *   (broadcast). A subscript repeated within one operand takes the diagonal (`'ii->i'`).
 * - After `->`, the output's subscripts, each at most once: the dims of the result, in that order;
 *   every other subscript is summed over. Without `->`, the output is the subscripts that appear
 *   exactly once in the equation, in alphabetical order (upper case first), so `'ij,jk'` is the matrix
 *   product and `'ii'` the trace.
 * - `...` stands for the dims no subscript names, which broadcast across operands as NumPy's do. They
 *   lead an implicit output; an explicit output places them where its `...` is, and sums them when it
 *   has none.
 *
 * The operands (given one by one or as one array) must share their dtype, as in PyTorch. Operands are
 * combined left to right, each pair by one batched {@link matmul} (or an elementwise product when it
 * sums nothing), after summing the dims only one side has; a dim is summed as soon as no later operand
 * has it. Differentiable in every operand (gradients of gradients too), since it is built from ops that are.
 *
 * See https://pytorch.org/docs/stable/generated/torch.einsum.html
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2], [3, 4]]);
 * const b = tensor([[5, 6], [7, 8]]);
 * einsum('ij,jk->ik', a, b).toArray(); // [[19, 22], [43, 50]], as matmul(a, b)
 * einsum('ii', a).item(); // 5, the trace
 * einsum('ij->ji', a).toArray(); // [[1, 3], [2, 4]]
 * einsum('bij,bjk->bik', zeros([8, 2, 3]), zeros([8, 3, 4])).shape; // [8, 2, 4]
 * einsum('...d,...d->...', zeros([5, 7, 16]), zeros([7, 16])).shape; // [5, 7]: row-wise dot products
 * ```
 */
export function einsum(equation: string, ...operands: Tensor[] | [readonly Tensor[]]): Tensor {
  if (typeof equation !== 'string')
    throw new ValueError(`einsum: equation must be a string, got ${equation === null ? 'null' : typeof equation}`);
  const list: readonly unknown[] =
    operands.length === 1 && Array.isArray(operands[0]) ? (operands[0] as readonly unknown[]) : operands;
  if (list.length === 0) throw new ValueError('einsum: needs at least one operand');
  list.forEach((x, i) => {
    if (!(x instanceof Tensor))
      throw new ValueError(`einsum: operands[${i}] must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  });
  const tensors = list as readonly Tensor[];
  const dtype = tensors[0].dtype;
  tensors.forEach((x, i) => {
    if (x.dtype !== dtype)
      throw new DTypeError(
        `einsum: operands[${i}] is ${x.dtype} but operands[0] is ${dtype}; convert them to one dtype first (PyTorch refuses mixed dtypes too)`,
      );
  });
  const p = plan(
    equation,
    tensors.map((x) => x.shape),
  );
  const outputDims = new Set(p.output);
  const canonical = tensors.map((x, i) => toCanonical(x, p.dims[i], p.rank));
  let result = canonical[0];
  for (let i = 1; i < canonical.length; i++) {
    const later = canonical.slice(i + 1);
    const summed = new Set<number>();
    for (let d = 0; d < p.rank; d++) if (!outputDims.has(d) && later.every((t) => t.shape[d] === 1)) summed.add(d);
    result = contractPair(result, canonical[i], summed);
  }
  const leftover: number[] = [];
  for (let d = 0; d < p.rank; d++) if (!outputDims.has(d) && result.shape[d] !== 1) leftover.push(d);
  if (leftover.length > 0) result = sum(result, leftover, true);
  // Drop the summed dims (all of size 1 now), then put the output's dims in its order.
  const kept: number[] = [];
  for (let d = 0; d < p.rank; d++) if (outputDims.has(d)) kept.push(d);
  const squeezed = reshape(
    result,
    kept.map((d) => result.shape[d]),
  );
  const ordered = permuteIfNeeded(
    squeezed,
    p.output.map((d) => kept.indexOf(d)),
  );
  return ordered;
}
