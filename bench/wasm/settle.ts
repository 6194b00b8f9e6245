/**
 * Let the garbage collector return the wasm blocks of the previous measurement's tensors before the next
 * one starts. The benches build a model, its optimizer and random operands per measurement and drop them;
 * their blocks go back to the wasm backend's pool only when the collector has collected them and a
 * FinalizationRegistry callback has run, which happens between tasks, never inside a synchronous loop.
 * Without this, a long synchronous bench fills the pool's cap on blocks allocated outside `tidy`
 * (64 MiB), and later tensors silently land in JavaScript memory, where the kernels copy them and the
 * optimizer update runs its cpu kernel (measured: Adam 10x slower in the later rounds).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full collection, then two turns of the event loop for the finalizers. */
export async function settle(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => setTimeout(resolve, 0));
}
