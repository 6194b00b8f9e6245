/**
 * Shared pieces of the WebGPU bench page (bench/webgpu/page.ts) and of the Node script that drives it
 * (bench/webgpu.bench.ts): the page's options, the sizes, the transformer's seeded batch and initial
 * parameters, the timing of one cell, the report the page hands back, and its Markdown table. Nothing
 * here imports a Node built-in: it runs in the page and in Node. The seeded generators and the MLP's
 * sizes and data are bench/wasm/common.ts's.
 */
import { labels, median, normals } from '../wasm/common';

/** The three columns of the table, in order. */
export const LIBRARIES = ['nabla', 'tfjs', 'jax'] as const;
export type Library = (typeof LIBRARIES)[number];

/** The column headers of {@link LIBRARIES}. */
export const COLUMN_NAMES: Record<Library, string> = {
  nabla: 'nabla webgpu',
  tfjs: 'tfjs-webgpu',
  jax: 'jax-js webgpu',
};

/** The transformer's sizes (a character-level GPT, nanoGPT's layout: pre-norm blocks, no biases, tied head). */
export interface GptSizes {
  vocab: number;
  context: number;
  layers: number;
  heads: number;
  width: number;
  batch: number;
  lr: number;
}

/** The transformer of bench/models.bench.ts (nanoGPT's CPU configuration): the default on a real GPU. */
export const GPT_NANO: GptSizes = { vocab: 65, context: 64, layers: 4, heads: 4, width: 128, batch: 32, lr: 1e-3 };
/** A smaller one for the quick runs (SwiftShader): 2 layers, width 64, batch 16. */
export const GPT_SMALL: GptSizes = { vocab: 65, context: 64, layers: 2, heads: 4, width: 64, batch: 16, lr: 1e-3 };

/** What the page runs, read from its URL (`?quick=1&rounds=3&sizes=256,512,1024&gpt=nano`). */
export interface PageOptions {
  /** Fewer rounds, smaller time budgets, a smaller transformer, no 2048³. */
  quick: boolean;
  /** Rounds: every cell is measured once per round, the libraries in a rotated order; the cell is the median. */
  rounds: number;
  /** The matmul sizes n (n x n times n x n). */
  sizes: number[];
  /** Which transformer. */
  gpt: 'nano' | 'small';
  /** The time budget of one measurement (ms): runs are repeated until it is spent (at least `minRuns`). */
  budgetMs: number;
  /** Untimed runs before each measurement. */
  warmupRuns: number;
  /** The least number of timed runs of a measurement (a run over a second is timed once). */
  minRuns: number;
  /** Rows to skip (`matmul`, `mlp`, `gpt`), for trying one part alone. */
  skip: string[];
}

/** The page's options from a query string; every field has a default (the full run, or the quick one with `quick=1`). */
export function parseOptions(search: string): PageOptions {
  const q = new URLSearchParams(search);
  const quick = q.get('quick') === '1' || q.get('quick') === 'true';
  const num = (name: string, fallback: number) => {
    const v = Number(q.get(name));
    return q.has(name) && Number.isFinite(v) && v > 0 ? v : fallback;
  };
  const sizes = q
    .get('sizes')
    ?.split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const gpt = q.get('gpt');
  return {
    quick,
    rounds: Math.floor(num('rounds', quick ? 2 : 3)),
    sizes: sizes !== undefined && sizes.length > 0 ? sizes : quick ? [256, 512, 1024] : [256, 512, 1024, 2048],
    gpt: gpt === 'nano' || gpt === 'small' ? gpt : quick ? 'small' : 'nano',
    budgetMs: num('budget', quick ? 300 : 1000),
    warmupRuns: Math.floor(num('warmup', quick ? 1 : 3)),
    minRuns: Math.floor(num('minRuns', 3)),
    skip: (q.get('skip') ?? '').split(',').filter((s) => s.length > 0),
  };
}

/** The query string of `options` (what {@link parseOptions} reads back). */
export function optionsQuery(options: Partial<PageOptions>): string {
  const q = new URLSearchParams();
  if (options.quick) q.set('quick', '1');
  if (options.rounds !== undefined) q.set('rounds', String(options.rounds));
  if (options.sizes !== undefined) q.set('sizes', options.sizes.join(','));
  if (options.gpt !== undefined) q.set('gpt', options.gpt);
  if (options.budgetMs !== undefined) q.set('budget', String(options.budgetMs));
  if (options.skip !== undefined && options.skip.length > 0) q.set('skip', options.skip.join(','));
  const s = q.toString();
  return s.length > 0 ? `?${s}` : '';
}

/** One parameter's initial value: its shape and row-major float32 numbers. */
export interface InitialParameter {
  shape: number[];
  data: Float32Array;
}

/**
 * The transformer's seeded batch and initial parameters for `sizes`, by bench/models/common.ts's recipe:
 * `idx` `[batch, context]` token ids and `targets` the next id after each; parameters under nanoGPT's
 * state-dict names, every Linear and Embedding weight N(0, 0.02), the projections into the residual
 * stream N(0, 0.02 / √(2 · layers)), LayerNorm weights 1, Linear weights `[out, in]` (PyTorch's layout).
 */
export function gptSetup(sizes: GptSizes): {
  idx: Int32Array;
  targets: Int32Array;
  init: Record<string, InitialParameter>;
} {
  const { vocab, context, batch, layers, width } = sizes;
  const rows = labels(batch * (context + 1), vocab, 51);
  const idx = new Int32Array(batch * context);
  const targets = new Int32Array(batch * context);
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < context; t++) {
      idx[b * context + t] = rows[b * (context + 1) + t];
      targets[b * context + t] = rows[b * (context + 1) + t + 1];
    }
  const init: Record<string, InitialParameter> = {};
  let seed = 100;
  const normal = (name: string, shape: number[], std: number) => {
    init[name] = { shape, data: normals(shape[0] * (shape[1] ?? 1), seed++, std) };
  };
  const ones = (name: string) => {
    init[name] = { shape: [width], data: new Float32Array(width).fill(1) };
  };
  const projStd = 0.02 / Math.sqrt(2 * layers);
  normal('wte.weight', [vocab, width], 0.02);
  normal('wpe.weight', [context, width], 0.02);
  for (let l = 0; l < layers; l++) {
    ones(`h.${l}.ln_1.weight`);
    normal(`h.${l}.attn.c_attn.weight`, [3 * width, width], 0.02);
    normal(`h.${l}.attn.c_proj.weight`, [width, width], projStd);
    ones(`h.${l}.ln_2.weight`);
    normal(`h.${l}.mlp.c_fc.weight`, [4 * width, width], 0.02);
    normal(`h.${l}.mlp.c_proj.weight`, [width, 4 * width], projStd);
  }
  ones('ln_f.weight');
  return { idx, targets, init };
}

/** The causal mask added to attention scores, `[T, T]`: 0 where a query may see the key, -1e9 after it. */
export function causalMask(t: number): Float32Array {
  const mask = new Float32Array(t * t);
  for (let q = 0; q < t; q++) for (let k = q + 1; k < t; k++) mask[q * t + k] = -1e9;
  return mask;
}

/** Train steps run (and their losses recorded) before a train step is timed; they also warm it up. */
export const CHECK_STEPS = 4;

/**
 * Median time of one call of `run` (ms): `warmupRuns` untimed calls, then calls until `budgetMs` has
 * been spent and at least `minRuns` were made. A first call that takes over a second makes the
 * measurement that one call (later calls would take as long: SwiftShader's 1024³).
 */
export async function timeRuns(run: () => Promise<void>, options: PageOptions): Promise<number> {
  const t0 = performance.now();
  await run();
  const first = performance.now() - t0;
  if (first > 1000) return first;
  for (let i = 1; i < options.warmupRuns; i++) await run();
  const times: number[] = [];
  let spent = 0;
  while (spent < options.budgetMs || times.length < options.minRuns) {
    const s = performance.now();
    await run();
    const dt = performance.now() - s;
    times.push(dt);
    spent += dt;
  }
  return median(times);
}

/** A case of one library, set up (data uploaded, kernels compiled) and ready to be timed. */
export interface Runner {
  /** One timed run (it ends when the GPU has finished). */
  run(): Promise<void>;
  /** The number shown in the table from the median ms of one run. */
  value(ms: number): number;
  /** Free what the case holds on the GPU. */
  dispose(): void | Promise<void>;
}

/** One row of the table. */
export interface RowReport {
  key: string;
  name: string;
  unit: string;
  /** Per library: the samples (one per round) or why there is no number. */
  cells: Partial<Record<Library, { samples: number[] } | { note: string }>>;
}

/** A library's device as the page found it. */
export interface DeviceReport {
  library: Library;
  adapter: string;
  error?: string;
}

/** What the page hands back (`window.__webgpuBench`). */
export interface BenchReport {
  options: PageOptions;
  userAgent: string;
  /** nabla's `initWebGpuBackend()` result: adapter and limits, or the error. */
  nablaInfo?: unknown;
  devices: DeviceReport[];
  versions: Record<string, string>;
  rows: RowReport[];
  /** Lines on the correctness checks (losses of the first steps). */
  checks: string[];
  /** Whether every check passed. */
  checksPassed: boolean;
  notes: string[];
  seconds: number;
  error?: string;
}

/** The median of a cell, or its note. */
export function cellValue(cell: RowReport['cells'][Library]): number | string | undefined {
  if (cell === undefined) return undefined;
  if ('note' in cell) return cell.note;
  return cell.samples.length > 0 ? median([...cell.samples]) : undefined;
}

/** A number with three significant digits or so. */
export function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** The report's table as Markdown lines: one column per library, then nabla's ratio to each of the others. */
export function markdownTable(report: BenchReport): string[] {
  const header = `| case | ${LIBRARIES.map((l) => COLUMN_NAMES[l]).join(' | ')} | nabla / tfjs | nabla / jax-js |`;
  const lines = [header, `| --- | ${LIBRARIES.map(() => '---:').join(' | ')} | ---: | ---: |`];
  for (const row of report.rows) {
    const values = LIBRARIES.map((l) => cellValue(row.cells[l]));
    const ratio = (other: number | string | undefined) =>
      typeof values[0] === 'number' && typeof other === 'number' ? `${(values[0] / other).toFixed(2)}x` : '—';
    const cells = values.map((v) => (typeof v === 'string' ? v : fmt(v)));
    lines.push(`| ${row.name} (${row.unit}) | ${cells.join(' | ')} | ${ratio(values[1])} | ${ratio(values[2])} |`);
  }
  return lines;
}
