/**
 * The cost of `loadSafetensors` per header entry: time and heap.
 *
 * Run with `npx tsx bench/safetensors-cost.bench.ts`. The script re-runs itself twice under
 * `tsx --tsconfig bench/tsconfig.json --expose-gc` (so `@nablajs/*` imports resolve to the package
 * sources and `gc()` is available): once with V8's default heap settings for the times, once with a
 * 1 GB young generation so that no garbage collection runs inside a load and the heap growth it
 * leaves is everything it allocated. Prints a Markdown table and writes
 * bench-results/safetensors-cost.json.
 *
 * The files: headers listing n empty `F32` tensors (`"t<i>":{"dtype":"F32","shape":[0],
 * "data_offsets":[0,0]}`, about 58 bytes each), the worst case per header byte, since an entry's
 * cost does not depend on its data and these are the shortest entries; n = 10^3, 10^4, 10^5 and
 * SAFETENSORS_MAX_ENTRIES. Reported per case:
 * - µs per entry: the median wall time over the runs (at least 5, more until about two seconds have
 *   been spent), and the median CPU time of the process (`process.cpuUsage()`, all threads, so
 *   garbage collection on helper threads counts), which a busy machine disturbs less;
 * - allocated B per header byte: growth of `heapUsed + arrayBuffers` across one load, from the
 *   memory run (median over runs);
 * - retained B per header byte: the same growth after a full `gc()`, the result still alive (what
 *   the tensors and their names keep).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const mode = process.env.NABLA_SAFETENSORS_BENCH_MODE;

interface Row {
  entries: number;
  headerBytes: number;
  runs: number;
  usPerEntry: number;
  cpuUsPerEntry: number;
  allocatedPerHeaderByte: number;
  retainedPerHeaderByte: number;
}

if (mode === undefined) {
  // Parent: run the two children and merge their rows.
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const self = fileURLToPath(import.meta.url);
  const tsconfig = fileURLToPath(new URL('./tsconfig.json', import.meta.url));
  const run = (childMode: string, flags: string[]): Row[] => {
    const child = spawnSync(process.execPath, [tsx, '--tsconfig', tsconfig, ...flags, self], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NABLA_SAFETENSORS_BENCH_MODE: childMode },
      maxBuffer: 1 << 24,
    });
    if (child.status !== 0) throw new Error(`safetensors-cost bench: the ${childMode} run failed`);
    return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '[]') as Row[];
  };
  const times = run('time', ['--expose-gc']);
  const memory = run('memory', ['--expose-gc', '--max-semi-space-size=1024']);
  const rows = times.map((row, i) => ({
    ...row,
    allocatedPerHeaderByte: memory[i].allocatedPerHeaderByte,
    retainedPerHeaderByte: memory[i].retainedPerHeaderByte,
  }));
  const lines = [
    '| entries | header bytes | runs | µs per entry (wall) | µs per entry (CPU) | allocated B per header byte | retained B per header byte |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.entries} | ${r.headerBytes} | ${r.runs} | ${r.usPerEntry.toFixed(2)} | ${r.cpuUsPerEntry.toFixed(2)} | ` +
        `${r.allocatedPerHeaderByte.toFixed(1)} | ${r.retainedPerHeaderByte.toFixed(1)} |`,
    ),
  ];
  console.log(lines.join('\n'));
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const machine = `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, load average ${load} after the run`;
  console.log(`\n${machine}`);
  mkdirSync(new URL('../bench-results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('../bench-results/safetensors-cost.json', import.meta.url),
    `${JSON.stringify({ machine, date: new Date().toISOString(), rows }, null, 2)}\n`,
  );
} else {
  const { loadSafetensors } = await import('../packages/nn/src/load-safetensors');
  const { SAFETENSORS_MAX_ENTRIES } = await import('../packages/nn/src/safetensors-format');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('safetensors-cost bench: run under --expose-gc (the parent script does)');

  /** A safetensors file whose header lists `n` empty F32 tensors named t0, t1, ... */
  const emptyTensors = (n: number): Uint8Array => {
    const entry = (i: number) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`;
    const parts = new Array<string>(n);
    for (let i = 0; i < n; i++) parts[i] = entry(i);
    const json = new TextEncoder().encode(`{${parts.join(',')}}`);
    const file = new Uint8Array(8 + json.length);
    new DataView(file.buffer).setUint32(0, json.length, true);
    file.set(json, 8);
    return file;
  };
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };

  const rows: Row[] = [];
  for (const entries of [1_000, 10_000, 100_000, SAFETENSORS_MAX_ENTRIES]) {
    const file = emptyTensors(entries);
    const headerBytes = file.length - 8;
    // Warm-up: compile the parser's hot paths before measuring.
    for (let i = 0; i < 3; i++) loadSafetensors(emptyTensors(Math.min(entries, 10_000)));
    const times: number[] = [];
    const cpuTimes: number[] = [];
    const allocated: number[] = [];
    const retained: number[] = [];
    let spent = 0;
    while (times.length < 5 || (spent < 2e9 && times.length < 30)) {
      gc();
      gc();
      const before = used();
      const cpuStart = process.cpuUsage();
      const start = process.hrtime.bigint();
      let result: ReturnType<typeof loadSafetensors> | null = loadSafetensors(file);
      const elapsed = Number(process.hrtime.bigint() - start);
      const cpu = process.cpuUsage(cpuStart);
      const after = used();
      gc();
      gc();
      const kept = used();
      if (Object.keys(result.tensors).length !== entries) throw new Error('safetensors-cost bench: wrong result');
      result = null;
      spent += elapsed;
      times.push(elapsed);
      cpuTimes.push(cpu.user + cpu.system);
      allocated.push(after - before);
      retained.push(kept - before);
    }
    rows.push({
      entries,
      headerBytes,
      runs: times.length,
      usPerEntry: median(times) / 1e3 / entries,
      cpuUsPerEntry: median(cpuTimes) / entries,
      allocatedPerHeaderByte: median(allocated) / headerBytes,
      retainedPerHeaderByte: median(retained) / headerBytes,
    });
  }
  console.log(JSON.stringify(rows));
}
