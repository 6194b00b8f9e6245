/**
 * The entries of a header, one column per field in typed arrays that double when full: an entry costs no object of
 * its own, only its name (kept for the result) and a few slots.
 */
export class EntryTable {
  count = 0;
  readonly names: string[] = [];
  dtypes = new Uint8Array(16);
  begins = new Float64Array(16);
  ends = new Float64Array(16);
  /** Entry i's dimensions are `dims[shapeStarts[i]]` to `dims[shapeStarts[i + 1] - 1]`. */
  shapeStarts = new Uint32Array(17);
  dims = new Float64Array(64);
  dimCount = 0;

  pushDim(dim: number): void {
    if (this.dimCount === this.dims.length) this.dims = grown(this.dims, 2 * this.dims.length);
    // A dimension written -0 is 0.
    this.dims[this.dimCount++] = dim + 0;
  }

  /** Forget the dimensions pushed since the last committed entry. */
  abandon(): void {
    this.dimCount = this.shapeStarts[this.count];
  }

  commit(name: string, dtype: number, begin: number, end: number): void {
    const i = this.count;
    if (i === this.dtypes.length) {
      const capacity = 2 * i;
      this.dtypes = grown(this.dtypes, capacity);
      this.begins = grown(this.begins, capacity);
      this.ends = grown(this.ends, capacity);
      this.shapeStarts = grown(this.shapeStarts, capacity + 1);
    }
    this.names.push(name);
    this.dtypes[i] = dtype;
    this.begins[i] = begin;
    this.ends[i] = end;
    this.shapeStarts[i + 1] = this.dimCount;
    this.count = i + 1;
  }

  shape(i: number): number[] {
    const start = this.shapeStarts[i];
    const shape = new Array<number>(this.shapeStarts[i + 1] - start);
    for (let d = 0; d < shape.length; d++) shape[d] = this.dims[start + d];
    return shape;
  }
}

function grown<A extends Uint8Array | Uint32Array | Float64Array>(array: A, length: number): A {
  const out = new (array.constructor as new (length: number) => A)(length);
  out.set(array);
  return out;
}
