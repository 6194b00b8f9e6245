// Which kernels a command trains with: `--backend cpu | wasm | auto`. `auto` takes each task's measured
// choice (`preferredBackend` in model-tasks.ts; the measurements are bench/backends.bench.ts and its table in
// bench/results-backends.md).
import { getBackend, getWasmBackendInfo, initWasmBackend, setBackend } from '@nablajs/core';
import type { OptionDef } from './args';
import { getTask, TASKS } from './tasks';
import { UsageError } from './usage-error';

/** A backend a command can train with. */
export type BackendName = 'cpu' | 'wasm';

/** What `--backend` takes: a backend, or `auto` for each task's measured choice. */
export type BackendChoice = BackendName | 'auto';

/**
 * What `--backend auto` picks, in words, from the tasks' `preferredBackend`:
 * `wasm for digits-mlp, ... and tiny-shakespeare, cpu for the others`.
 *
 * @example
 * ```ts
 * autoBackends(); // 'wasm for digits-mlp, mnist-mlp, mnist-cnn, spirals and tiny-shakespeare, cpu for the others'
 * ```
 */
export function autoBackends(): string {
  const wasm = Object.keys(TASKS).filter((name) => resolveBackend('auto', name) === 'wasm');
  if (wasm.length === 0) return 'cpu for every task';
  const list = wasm.length === 1 ? wasm[0] : `${wasm.slice(0, -1).join(', ')} and ${wasm[wasm.length - 1]}`;
  return `wasm for ${list}, cpu for the others`;
}

/**
 * The `--backend` option, shared by `nabla compare` and `nabla benchmark`.
 *
 * @example
 * ```ts
 * parseArgs(['--backend', 'wasm'], [BACKEND_OPTION]).values; // { backend: 'wasm' }
 * ```
 */
export const BACKEND_OPTION: OptionDef = {
  name: 'backend',
  type: 'choice',
  choices: ['auto', 'cpu', 'wasm'],
  value: 'NAME',
  default: 'auto',
  description: `the kernels to train with: cpu (JavaScript), wasm (WebAssembly SIMD, one thread), or auto: each task's faster one, as measured in bench/results-backends.md (${autoBackends()}). Results differ between backends in the last bits (another order of summation), so a trial's key includes its backend`,
};

/**
 * The backend a task runs on for a `--backend` choice: the choice itself, or for `auto` the task's
 * measured faster one (cpu for a task that names none).
 *
 * @example
 * ```ts
 * resolveBackend('auto', 'tiny-shakespeare'); // 'wasm'
 * resolveBackend('cpu', 'tiny-shakespeare'); // 'cpu'
 * ```
 */
export function resolveBackend(choice: BackendChoice, task: string): BackendName {
  if (choice === 'cpu' || choice === 'wasm') return choice;
  if (choice !== 'auto')
    throw new UsageError(`--backend: expected one of auto, cpu, wasm, got ${JSON.stringify(choice)}`);
  const t = getTask(task);
  return t.kind === 'model' ? (t.preferredBackend ?? 'cpu') : 'cpu';
}

/**
 * Make `name` the active backend of this process (compiling the WebAssembly kernels the first time
 * `wasm` is asked for) and return what ran: `wasm (SIMD)`, `wasm (relaxed SIMD)` where the runtime has
 * relaxed SIMD, `wasm (no SIMD: the cpu kernels)` where it lacks WebAssembly SIMD, or `cpu`.
 *
 * @example
 * ```ts
 * await useBackend('wasm'); // 'wasm (SIMD)' on Node 20
 * ```
 */
export async function useBackend(name: BackendName): Promise<string> {
  if (name === 'wasm') {
    const simd = await initWasmBackend();
    if (getBackend() !== 'wasm') setBackend('wasm');
    return simd
      ? `wasm (${getWasmBackendInfo().relaxedSimd ? 'relaxed SIMD' : 'SIMD'})`
      : 'wasm (no SIMD: the cpu kernels)';
  }
  if (getBackend() !== 'cpu') setBackend('cpu');
  return 'cpu';
}
