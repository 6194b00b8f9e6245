// What a benchmark records about the machine it ran on: cores, CPU model, --jobs and the load average before
// and after the trials, so that a run on a busy machine can be told from one on an idle one (its times are
// wall-clock times, inflated and noisy when other programs share the cores).
import { availableParallelism, cpus, loadavg } from 'node:os';

/** The 1, 5 and 15 minute load averages, or null where the platform has none (Windows). */
export type LoadAverage = [number, number, number] | null;

/**
 * The machine of a sweep, as results.json of `nabla benchmark` records it.
 *
 * @example
 * ```ts
 * result.machine; // { cores: 2, cpu: 'AMD EPYC 7B13', jobs: 2, loadAverage: { before: [0.3, 0.4, 0.5], after: [1.9, 0.8, 0.6] }, busy: false }
 * ```
 */
export interface MachineInfo {
  /** The cores Node.js can use (`os.availableParallelism()`). */
  cores: number;
  /** The CPU model, as the operating system names it. */
  cpu: string;
  /** The trial workers (`--jobs`). */
  jobs: number;
  /** The load averages just before the first trial and just after the last. */
  loadAverage: { before: LoadAverage; after: LoadAverage };
  /**
   * Whether other programs kept the machine busy: the 1-minute load average before the trials, or after them
   * less the run's own `jobs`, above half the cores. Its times to the target are then inflated and noisy.
   */
  busy: boolean;
}

/**
 * The load averages now, rounded to 2 decimals, or null where the platform reports none.
 *
 * @example
 * ```ts
 * currentLoad(); // [1.42, 0.9, 0.71]
 * ```
 */
export function currentLoad(): LoadAverage {
  if (process.platform === 'win32') return null;
  const [a, b, c] = loadavg().map((v) => Math.round(v * 100) / 100);
  return [a, b, c];
}

/**
 * Whether a run with `jobs` workers on `cores` cores shared them with other programs (see {@link MachineInfo.busy}).
 *
 * @example
 * ```ts
 * wasBusy({ before: [8.2, 7, 6], after: [9.1, 8, 7] }, 2, 2); // true
 * wasBusy({ before: [0.2, 0.3, 0.3], after: [2.1, 0.9, 0.5] }, 2, 2); // false
 * ```
 */
export function wasBusy(load: MachineInfo['loadAverage'], cores: number, jobs: number): boolean {
  const others = Math.max(load.before?.[0] ?? 0, (load.after?.[0] ?? 0) - jobs);
  return others > cores / 2;
}

/**
 * The machine a sweep ran on, given the load average taken before its trials (the one after is taken now).
 *
 * @example
 * ```ts
 * const before = currentLoad();
 * // ... run the trials ...
 * const machine = machineInfo(before, 2);
 * ```
 */
export function machineInfo(before: LoadAverage, jobs: number): MachineInfo {
  const cores = availableParallelism();
  const loadAverage = { before, after: currentLoad() };
  return {
    cores,
    cpu: cpus()[0]?.model.trim() || 'unknown',
    jobs,
    loadAverage,
    busy: wasBusy(loadAverage, cores, jobs),
  };
}

/**
 * The machine in one sentence, for the report and the terminal.
 *
 * @example
 * ```ts
 * machineText(machine); // '2 cores (AMD EPYC 7B13), --jobs 2; load average 0.3 before the trials and 1.9 after (1 minute)'
 * ```
 */
export function machineText(machine: MachineInfo): string {
  const load = (l: LoadAverage) => (l === null ? 'unknown' : String(l[0]));
  return `${machine.cores} core${machine.cores === 1 ? '' : 's'} (${machine.cpu}), --jobs ${machine.jobs}; load average ${load(
    machine.loadAverage.before,
  )} before the trials and ${load(machine.loadAverage.after)} after (1 minute)${
    machine.busy
      ? '. The machine was busy (other programs shared its cores): the times to the target are inflated and noisy; trust the profile by steps'
      : ''
  }`;
}
