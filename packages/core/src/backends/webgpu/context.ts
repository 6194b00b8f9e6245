/// <reference types="@webgpu/types" />
import { DTypeError, ValueError } from '../../errors';
import { WebGpuDeviceError, WebGpuLimitError } from './errors';

/** The element types a GPU array can hold: float32 values, int32 indices (max pooling's argmax). */
export type GpuDType = 'float32' | 'int32';

/**
 * An array living in a GPU buffer: its buffer (possibly larger than needed: it comes from a pool of
 * size buckets), its element type, its number of elements, and the context that owns it.
 */
export interface GpuArray {
  readonly buffer: GPUBuffer;
  readonly dtype: GpuDType;
  readonly size: number;
  readonly context: WebGpuContext;
}

/** A binding of a dispatch: a GPU array, read (`'read'`) or written (`'write'`, which may also read it). */
export type Binding = readonly [GpuArray, 'read' | 'write'];

/** What a dispatch's uniform block holds: scalars of the kernel's `Params` struct, in order. */
export type ParamSpec = readonly (readonly [name: string, type: 'u32' | 'i32' | 'f32'])[];

/** The smallest pool bucket, in bytes. */
const MIN_BUCKET = 256;

/** Usage of every storage buffer the context creates. */
const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x4 /* COPY_SRC */ | 0x8; /* COPY_DST */

/** The number of threads of every one-dimensional kernel's workgroup. */
export const WORKGROUP = 256;

/**
 * The owner of one `GPUDevice`: compiles each kernel variant's WGSL once (a pipeline cache keyed by the
 * variant's name), hands out storage buffers from a pool of power-of-two size buckets, records dispatches
 * into one command encoder that is submitted when a result is read (or an upload must be ordered after
 * them), and turns device loss and every validation, out-of-memory or internal error into a
 * {@link WebGpuDeviceError}. Internal to core until the backend sits behind the kernel registry.
 *
 * @example
 * ```ts
 * const context = getWebGpuContext();
 * const x = context.upload(new Float32Array([1, 2, 3]));
 * const values = await context.read(x); // Float32Array [1, 2, 3]
 * context.release(x);
 * ```
 */
export class WebGpuContext {
  /** The device every buffer and pipeline of this context belongs to. */
  readonly device: GPUDevice;
  /** The most elements a GPU array may hold: `floor(maxStorageBufferBindingSize / 4)`. */
  readonly maxElements: number;
  /** The most workgroups a dispatch may have along one dimension (65535 at least). */
  readonly maxWorkgroupsPerDimension: number;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly pool = new Map<number, GPUBuffer[]>();
  private encoder: GPUCommandEncoder | null = null;
  private pendingUniforms: GPUBuffer[] = [];
  private readonly pendingErrors: Promise<string | null>[] = [];
  private failure: WebGpuDeviceError | null = null;
  private readonly uncaptured: string[] = [];

  constructor(device: GPUDevice) {
    this.device = device;
    this.maxElements = Math.floor(device.limits.maxStorageBufferBindingSize / 4);
    this.maxWorkgroupsPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
    device.lost.then((info) => {
      if (info.reason !== 'destroyed' || this.failure === null)
        this.failure = new WebGpuDeviceError(
          `WebGpuContext: the WebGPU device was lost (${info.reason}): ${info.message || 'no message'}`,
        );
    });
    device.addEventListener('uncapturederror', (event) => {
      this.uncaptured.push(
        `${(event as GPUUncapturedErrorEvent).error.constructor.name}: ${(event as GPUUncapturedErrorEvent).error.message}`,
      );
    });
  }

  /** Throw the device's failure, if any: a lost device or an uncaptured error. */
  check(fn: string): void {
    if (this.failure !== null) throw new WebGpuDeviceError(`${fn}: ${this.failure.message}`);
    if (this.uncaptured.length > 0) {
      const messages = this.uncaptured.splice(0).join('; ');
      throw new WebGpuDeviceError(`${fn}: the WebGPU device reported an error: ${messages}`);
    }
  }

  /** The compiled pipeline of the kernel variant `key`, compiling `code()` (entry point `main`) the first time. */
  pipeline(key: string, code: () => string): GPUComputePipeline {
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: code(), label: key });
      pipeline = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
        label: key,
      });
      this.pendingErrors.push(
        this.device.popErrorScope().then((e) => (e === null ? null : `compiling kernel ${key}: ${e.message}`)),
      );
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** The number of kernel variants compiled so far. */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /**
   * A GPU array of `size` elements from the pool: its contents are whatever the buffer last held (use
   * {@link WebGpuContext.zeros} for zeros). Throws a {@link WebGpuLimitError} above {@link WebGpuContext.maxElements}.
   */
  createArray(size: number, dtype: GpuDType = 'float32'): GpuArray {
    this.check('WebGpuContext.createArray');
    if (!Number.isInteger(size) || size < 0)
      throw new ValueError(`WebGpuContext.createArray: size must be a non-negative integer, got ${size}`);
    if (dtype !== 'float32' && dtype !== 'int32')
      throw new DTypeError(`WebGpuContext.createArray: dtype must be float32 or int32, got ${String(dtype)}`);
    if (size > this.maxElements)
      throw new WebGpuLimitError(
        `WebGpuContext.createArray: ${size} elements is more than a GPU array holds on this device (${this.maxElements}: maxStorageBufferBindingSize / 4)`,
      );
    const bucket = bucketBytes(size * 4);
    const free = this.pool.get(bucket);
    const buffer = free?.pop() ?? this.device.createBuffer({ size: bucket, usage: STORAGE_USAGE });
    return { buffer, dtype, size, context: this };
  }

  /** A GPU array of `size` zeros. */
  zeros(size: number, dtype: GpuDType = 'float32'): GpuArray {
    const array = this.createArray(size, dtype);
    this.commandEncoder().clearBuffer(array.buffer, 0, array.buffer.size);
    return array;
  }

  /** A GPU array holding a copy of `values` (a Float32Array, or an Int32Array for int32 indices). */
  upload(values: Float32Array | Int32Array): GpuArray {
    if (!(values instanceof Float32Array) && !(values instanceof Int32Array))
      throw new DTypeError(
        `WebGpuContext.upload: values must be a Float32Array or an Int32Array (the WebGPU kernels are float32 only), got ${Object.prototype.toString.call(values)}`,
      );
    const array = this.createArray(values.length, values instanceof Float32Array ? 'float32' : 'int32');
    // NOTE: queue writes run before any command not yet submitted; submit those first, or a recycled
    // buffer that they still read would be overwritten under them.
    this.flush();
    if (values.length > 0)
      this.device.queue.writeBuffer(array.buffer, 0, values.buffer, values.byteOffset, values.byteLength);
    return array;
  }

  /** Copy `values` (of `array`'s size and type) into `array`, ordered after every command recorded so far. */
  write(array: GpuArray, values: Float32Array | Int32Array): void {
    this.check('WebGpuContext.write');
    if (values.length !== array.size)
      throw new ValueError(`WebGpuContext.write: ${values.length} values for an array of ${array.size}`);
    // NOTE: queue writes run before commands not yet submitted (see upload).
    this.flush();
    if (values.length > 0)
      this.device.queue.writeBuffer(array.buffer, 0, values.buffer, values.byteOffset, values.byteLength);
  }

  /** Record a copy of `source` into `target` (same size). */
  copy(source: GpuArray, target: GpuArray): void {
    this.check('WebGpuContext.copy');
    if (source.size !== target.size)
      throw new ValueError(`WebGpuContext.copy: ${source.size} elements into an array of ${target.size}`);
    if (source.size > 0 && source.buffer !== target.buffer)
      this.commandEncoder().copyBufferToBuffer(source.buffer, 0, target.buffer, 0, source.size * 4);
  }

  /**
   * A read-only GPU array of `values` that lives until the next submission: for a kernel's small tables
   * (shapes, strides, offsets). Its buffer is new and filled at creation, so it needs no flush.
   */
  temporary(values: Int32Array | Float32Array): GpuArray {
    this.check('WebGpuContext.temporary');
    const buffer = this.device.createBuffer({
      size: Math.max(16, values.byteLength),
      usage: STORAGE_USAGE,
      mappedAtCreation: true,
    });
    const range = buffer.getMappedRange();
    if (values instanceof Int32Array) new Int32Array(range).set(values);
    else new Float32Array(range).set(values);
    buffer.unmap();
    this.pendingUniforms.push(buffer);
    return { buffer, dtype: values instanceof Int32Array ? 'int32' : 'float32', size: values.length, context: this };
  }

  /** Give `array`'s buffer back to the pool; the array must not be used afterwards. */
  release(array: GpuArray): void {
    const bucket = array.buffer.size;
    let free = this.pool.get(bucket);
    if (free === undefined) {
      free = [];
      this.pool.set(bucket, free);
    }
    if (!free.includes(array.buffer)) free.push(array.buffer);
  }

  /** Copy `array` back: one staging copy and one `mapAsync`; rejects with a {@link WebGpuDeviceError} if the device failed. */
  async read(array: GpuArray): Promise<Float32Array | Int32Array> {
    const [values] = await this.readMany([array]);
    return values;
  }

  /**
   * Copy several arrays back with one submission and one mapping (one staging buffer for all), which is
   * what reading several losses or metrics at the end of a step wants.
   */
  async readMany(arrays: readonly GpuArray[]): Promise<(Float32Array | Int32Array)[]> {
    this.check('WebGpuContext.read');
    const offsets: number[] = [];
    let total = 0;
    for (const a of arrays) {
      if (a.context !== this) throw new ValueError('WebGpuContext.read: an array belongs to another context');
      offsets.push(total);
      total += a.size * 4;
    }
    const staging = this.device.createBuffer({
      size: Math.max(total, 4),
      usage: 0x1 /* MAP_READ */ | 0x8 /* COPY_DST */,
    });
    const encoder = this.commandEncoder();
    arrays.forEach((a, i) => {
      if (a.size > 0) encoder.copyBufferToBuffer(a.buffer, 0, staging, offsets[i], a.size * 4);
    });
    this.flush();
    try {
      await this.settle('WebGpuContext.read');
      await staging.mapAsync(0x1 /* GPUMapMode.READ */);
    } catch (e) {
      staging.destroy();
      if (e instanceof WebGpuDeviceError) throw e;
      this.check('WebGpuContext.read');
      throw new WebGpuDeviceError(`WebGpuContext.read: mapping the staging buffer failed: ${(e as Error).message}`);
    }
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    this.check('WebGpuContext.read');
    return arrays.map((a, i) =>
      a.dtype === 'int32' ? new Int32Array(bytes, offsets[i], a.size) : new Float32Array(bytes, offsets[i], a.size),
    );
  }

  /** Wait for the error scopes of everything submitted so far; reject with a {@link WebGpuDeviceError} on the first error. */
  async settle(fn = 'WebGpuContext.settle'): Promise<void> {
    const errors = (await Promise.all(this.pendingErrors.splice(0))).filter((e) => e !== null);
    if (errors.length > 0)
      throw new WebGpuDeviceError(`${fn}: the WebGPU device reported an error: ${errors.join('; ')}`);
    this.check(fn);
  }

  /**
   * Record one dispatch of `pipeline` with `bindings` at bindings 1.. in order, `params` (of `spec`)
   * in a uniform block at binding 0, over `workgroups` workgroups: a count (split over two dimensions when
   * there are more than a dimension holds: the kernel recovers the linear index with {@link LINEAR_INDEX}),
   * or three counts dispatched as they are.
   * A written array that is also read (the same buffer bound twice) is computed into a copy and copied back.
   */
  dispatch(
    pipeline: GPUComputePipeline,
    bindings: readonly Binding[],
    spec: ParamSpec,
    params: readonly number[],
    workgroups: number | readonly [number, number, number],
  ): void {
    this.check('WebGpuContext.dispatch');
    if (typeof workgroups === 'number' ? workgroups === 0 : workgroups.includes(0)) return;
    const encoder = this.commandEncoder();
    const buffers: GPUBuffer[] = [];
    const copies: [GpuArray, GpuArray][] = [];
    bindings.forEach(([array, mode], i) => {
      if (array.context !== this) throw new ValueError('WebGpuContext.dispatch: an array belongs to another context');
      const aliased = bindings.some(([other], j) => j !== i && other.buffer === array.buffer);
      if (mode === 'write' && aliased) {
        const copy = this.createArray(array.size, array.dtype);
        if (array.size > 0) encoder.copyBufferToBuffer(array.buffer, 0, copy.buffer, 0, array.size * 4);
        copies.push([array, copy]);
        buffers.push(copy.buffer);
      } else buffers.push(array.buffer);
    });
    const uniform = this.device.createBuffer({
      size: Math.max(16, Math.ceil((spec.length * 4) / 16) * 16),
      usage: 0x40 /* UNIFORM */,
      mappedAtCreation: true,
    });
    const view = new DataView(uniform.getMappedRange());
    spec.forEach(([name, type], i) => {
      const v = params[i];
      if (v === undefined) throw new ValueError(`WebGpuContext.dispatch: no value for parameter ${name}`);
      if (type === 'f32') view.setFloat32(i * 4, v, true);
      else if (type === 'i32') view.setInt32(i * 4, v, true);
      else view.setUint32(i * 4, v, true);
    });
    uniform.unmap();
    this.pendingUniforms.push(uniform);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
    buffers.forEach((buffer, i) => {
      entries.push({ binding: i + 1, resource: { buffer, size: Math.max(4, bindings[i][0].size * 4) } });
    });
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    const max = this.maxWorkgroupsPerDimension;
    if (typeof workgroups !== 'number') {
      if (workgroups.some((w) => w > max))
        throw new WebGpuLimitError(
          `WebGpuContext.dispatch: workgroups [${workgroups}] exceed ${max} along a dimension`,
        );
      pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    } else if (workgroups <= max) pass.dispatchWorkgroups(workgroups);
    else {
      const y = Math.ceil(workgroups / max);
      if (y > max)
        throw new WebGpuLimitError(`WebGpuContext.dispatch: ${workgroups} workgroups do not fit in two dimensions`);
      pass.dispatchWorkgroups(max, y);
    }
    pass.end();
    for (const [array, copy] of copies) {
      if (array.size > 0) encoder.copyBufferToBuffer(copy.buffer, 0, array.buffer, 0, array.size * 4);
      this.release(copy);
    }
  }

  /** Submit the recorded commands (if any) in one submission, under validation and out-of-memory error scopes. */
  flush(): void {
    if (this.encoder === null) return;
    const encoder = this.encoder;
    this.encoder = null;
    const uniforms = this.pendingUniforms;
    this.pendingUniforms = [];
    this.device.pushErrorScope('validation');
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('internal');
    this.device.queue.submit([encoder.finish()]);
    const scopes = [this.device.popErrorScope(), this.device.popErrorScope(), this.device.popErrorScope()];
    this.pendingErrors.push(
      Promise.all(scopes).then((errors) => {
        for (const u of uniforms) u.destroy();
        const found = errors.filter((e) => e !== null).map((e) => `${e.constructor.name}: ${e.message}`);
        return found.length === 0 ? null : found.join('; ');
      }),
    );
  }

  /** Free every pooled buffer and the device; the context must not be used afterwards. */
  destroy(): void {
    this.flush();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.pipelines.clear();
    this.failure = new WebGpuDeviceError('WebGpuContext: the context was destroyed');
    this.device.destroy();
  }

  private commandEncoder(): GPUCommandEncoder {
    if (this.encoder === null) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }
}

/** The pool bucket of a request of `bytes` bytes: the next power of two, at least {@link MIN_BUCKET}. */
function bucketBytes(bytes: number): number {
  let bucket = MIN_BUCKET;
  while (bucket < bytes) bucket *= 2;
  return bucket;
}

/**
 * WGSL that every one-dimensional kernel starts its `main` with: `i`, the linear index of the thread,
 * from a dispatch of {@link WORKGROUP}-thread workgroups that may be split over two dimensions.
 */
export const LINEAR_INDEX = `let i = (wid.y * nwg.x + wid.x) * ${WORKGROUP}u + lid.x;`;

/** The builtins {@link LINEAR_INDEX} reads, for a kernel's `main` signature. */
export const MAIN_ARGS =
  '@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u';

/** The WGSL `struct Params` of `spec` and its uniform binding (binding 0). */
export function paramsWgsl(spec: ParamSpec): string {
  const fields = spec.length === 0 ? 'unused: u32,' : spec.map(([name, type]) => `${name}: ${type},`).join(' ');
  return `struct Params { ${fields} }\n@group(0) @binding(0) var<uniform> params: Params;\n`;
}
