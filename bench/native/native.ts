/**
 * The native references of bench/wasm.bench.ts's MLP train step: PyTorch and a hand-written NumPy step,
 * run by Debian's `/usr/bin/python3` through bench/native/mlp_step.py, one process per library and
 * thread count (OpenBLAS and OpenMP read their thread counts when they are loaded). Every process
 * trains from the batch and initial parameters of bench/wasm/common.ts, which this module writes once
 * into a case file in a temporary directory. None of this is needed by the tests: when the interpreter,
 * PyTorch or NumPy is missing, the columns say "not available" and the bench goes on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADAM, CHECK_STEPS, checkTraining, MLP, mlpData, mlpInit } from '../wasm/common';

/**
 * Debian's interpreter, where `apt-get install python3-torch` puts PyTorch (and NumPy, a dependency);
 * `NABLA_BENCH_PYTHON` names another one (a virtual environment, or a missing path to see the bench without).
 */
export const PYTHON = process.env.NABLA_BENCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'mlp_step.py');

export type NativeImpl = 'torch' | 'numpy';

/** What mlp_step.py prints for a library it could import. */
export interface NativeRun {
  impl: NativeImpl;
  threads: number;
  available: true;
  stepsPerSecond: number;
  msPerStep: number;
  stepsPerBatch: number;
  batches: number;
  losses: number[];
  versions: Record<string, string>;
  blas: { summary: string; libraries?: string[]; [key: string]: unknown };
  torchThreads?: number;
}

/** Relative tolerance of a native first loss against nabla's (same data, same parameters, float32). */
export const NATIVE_LOSS_TOLERANCE = 1e-4;

/**
 * Spawns mlp_step.py for one library and thread count at a time (synchronously, so that nothing else
 * of the bench runs meanwhile), checks that its first steps train ({@link checkTraining}), and keeps
 * the first result of each library and thread count for the notes (versions, BLAS).
 */
export class NativeReferences {
  private readonly dir: string | undefined;
  private readonly casePath: string | undefined;
  /** Why a library gives no numbers (no interpreter, an import that failed), by library. */
  readonly missing = new Map<NativeImpl, string>();
  /** The first run of each library and thread count, by `what`. */
  readonly firstRuns = new Map<string, NativeRun>();

  constructor() {
    if (!existsSync(PYTHON)) {
      const reason = `${PYTHON} not found`;
      this.missing.set('torch', reason);
      this.missing.set('numpy', reason);
      return;
    }
    if (endianness() !== 'LE') throw new Error('native references: the case file is written little-endian');
    this.dir = mkdtempSync(join(tmpdir(), 'nabla-native-'));
    this.casePath = join(this.dir, 'mlp-case.bin');
    writeFileSync(this.casePath, mlpCaseBytes());
    process.once('exit', () => this.dispose()); // also when the bench fails before its own dispose()
  }

  /** Whether `impl` still has a chance to give numbers. */
  available(impl: NativeImpl): boolean {
    return !this.missing.has(impl);
  }

  /**
   * Runs the MLP step of `impl` on `threads` threads: steps per second, or undefined when the library
   * is not available (the reason goes to {@link missing}). `budgetSeconds` of timed steps after
   * `warmupSeconds` of untimed ones; `what` names the run in the training checks.
   */
  run(
    impl: NativeImpl,
    threads: number,
    what: string,
    budgetSeconds: number,
    warmupSeconds: number,
  ): number | undefined {
    if (this.casePath === undefined || this.missing.has(impl)) return undefined;
    const threadEnv = String(threads);
    const args = [
      SCRIPT,
      ...['--impl', impl, '--threads', threadEnv, '--data', this.casePath],
      ...['--budget', String(budgetSeconds), '--warmup', String(warmupSeconds), '--check-steps', String(CHECK_STEPS)],
    ];
    const child = spawnSync(PYTHON, args, {
      encoding: 'utf8',
      timeout: 300_000,
      env: {
        ...process.env,
        OMP_NUM_THREADS: threadEnv,
        OPENBLAS_NUM_THREADS: threadEnv,
        MKL_NUM_THREADS: threadEnv,
        BLIS_NUM_THREADS: threadEnv,
      },
    });
    if (child.error) throw new Error(`native references: ${PYTHON} ${impl}: ${child.error.message}`);
    const line = child.stdout.trim().split('\n').pop() ?? '';
    let out: NativeRun | { available: false; reason: string } | undefined;
    try {
      out = JSON.parse(line);
    } catch {
      out = undefined;
    }
    if (child.status === 3 && out !== undefined && out.available === false) {
      this.missing.set(impl, out.reason);
      return undefined;
    }
    if (child.status !== 0 || out === undefined || out.available !== true)
      throw new Error(
        `native references: ${PYTHON} ${args.join(' ')} failed (exit ${child.status}):\n${child.stderr.trim()}`,
      );
    checkTraining(what, out.losses);
    if (!this.firstRuns.has(what)) this.firstRuns.set(what, out);
    return out.stepsPerSecond;
  }

  /** One line per library: versions and the BLAS in use, or why it is not available. */
  describe(): string[] {
    const lines: string[] = [];
    for (const impl of ['torch', 'numpy'] as const) {
      const label = impl === 'torch' ? 'PyTorch' : 'NumPy';
      const reason = this.missing.get(impl);
      if (reason !== undefined) {
        lines.push(`${label} (native reference): **not available** (${reason}); its rows say "not available"`);
        continue;
      }
      const run = [...this.firstRuns.values()].find((r) => r.impl === impl);
      if (run === undefined) continue;
      const versions = Object.entries(run.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const extra =
        impl === 'torch'
          ? `; torch's build: BLAS_INFO=${run.blas.torch_blas_info ?? '?'}, CPU capability ${run.blas.torch_cpu_capability ?? '?'}, mkldnn ${run.blas.torch_mkldnn ? 'on' : 'off'}`
          : `; NumPy's SIMD: ${run.blas.numpy_simd ?? '?'}`;
      const openblas = run.blas.library === 'OpenBLAS';
      const blasNote =
        openblas || run.blas.library === undefined
          ? ''
          : " — **not OpenBLAS**: Debian's `libblas.so.3` points to this one (`apt-get install -y libopenblas0` switches it to OpenBLAS)";
      lines.push(
        `${label} (native reference, ${PYTHON}): ${versions}; BLAS in use: ${run.blas.summary}${blasNote}${extra}`,
      );
    }
    return lines;
  }

  /** One short line for the head of results.md: each library's version (or "not available") and the BLAS. */
  summary(): string {
    const runs = [...this.firstRuns.values()];
    const parts = (['torch', 'numpy'] as const).map((impl) => {
      const label = impl === 'torch' ? 'PyTorch' : 'NumPy';
      if (this.missing.has(impl)) return `${label} not available`;
      const run = runs.find((r) => r.impl === impl);
      if (run === undefined) return `${label} not run`;
      return `${label} ${run.versions[`debian python3-${impl}`] ?? run.versions[impl]}`;
    });
    const blas = runs[0]?.blas;
    const blasText =
      blas === undefined
        ? ''
        : `; BLAS ${blas.summary}${blas.library !== undefined && blas.library !== 'OpenBLAS' ? ', **not OpenBLAS**' : ''}`;
    return `${parts.join(', ')}${blasText}`;
  }

  /** Removes the case file. */
  dispose(): void {
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The case file of mlp_step.py: one line of JSON (sizes, hyperparameters, and the arrays in order:
 * name, dtype, shape), then the arrays' bytes, little-endian: x `[batch, 784]` float32, y `[batch]`
 * int32, then w0, b0, w1, b1, w2, b2 with `w[i]` as `[in, out]` (the layout of {@link mlpInit}).
 */
export function mlpCaseBytes(): Buffer {
  const { sizes, batch, lr } = MLP;
  const arrays: { name: string; data: Float32Array | Int32Array; shape: number[] }[] = [
    { name: 'x', data: mlpData.x, shape: [batch, sizes[0]] },
    { name: 'y', data: mlpData.y, shape: [batch] },
  ];
  mlpInit.w.forEach((w, i) => {
    arrays.push({ name: `w${i}`, data: w, shape: [sizes[i], sizes[i + 1]] });
    arrays.push({ name: `b${i}`, data: mlpInit.b[i], shape: [sizes[i + 1]] });
  });
  const header = {
    batch,
    sizes,
    lr,
    betas: [ADAM.beta1, ADAM.beta2],
    eps: ADAM.eps,
    arrays: arrays.map((a) => ({
      name: a.name,
      dtype: a.data instanceof Int32Array ? 'int32' : 'float32',
      shape: a.shape,
    })),
  };
  return Buffer.concat([
    Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'),
    ...arrays.map((a) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)),
  ]);
}
