/**
 * The columns and rows of bench/wasm.bench.ts, and the parts of its report computed from them: the MLP
 * step tables (quiet and beside the hog), the native references' loss agreement, the issue's targets and
 * the loss agreement of every library's checked runs.
 */
import { NATIVE_LOSS_TOLERANCE, type NativeImpl, type NativeReferences } from '../native/native';
import { CHECK_STEPS, median, ratioOf, ratioText, trainingRuns } from './common';

export const COLUMNS = ['nabla-cpu', 'nabla-wasm 1T', 'nabla-wasm 2T', 'tfjs-cpu', 'tfjs-wasm', 'jax-js wasm'] as const;
export type Column = (typeof COLUMNS)[number];

/** The native references of the MLP step (bench/native/): library, thread count. */
export const NATIVE_COLUMNS = ['PyTorch 1T', 'PyTorch 2T', 'NumPy 1T', 'NumPy 2T'] as const;
export type NativeColumn = (typeof NATIVE_COLUMNS)[number];
export const NATIVE: Record<NativeColumn, [NativeImpl, number]> = {
  'PyTorch 1T': ['torch', 1],
  'PyTorch 2T': ['torch', 2],
  'NumPy 1T': ['numpy', 1],
  'NumPy 2T': ['numpy', 2],
};
/** The columns of the MLP step tables: every library of the main table, then the native references. */
export const MLP_COLUMNS = [...COLUMNS, ...NATIVE_COLUMNS] as const;
export type MlpColumn = (typeof MLP_COLUMNS)[number];
export type Samples = Partial<Record<MlpColumn, number[]>>;

export interface Row {
  case: string;
  higherIsBetter: boolean;
  /** The median over rounds of each column's measurements. */
  values: Partial<Record<Column, number>>;
  /** One measurement per round (each itself the median of repeated runs). */
  samples: Partial<Record<Column, number[]>>;
}

/** Medians over rounds of nabla-wasm with plain SIMD only (bench/wasm/plain-simd.ts, in a child process). */
export interface PlainSimd {
  matmul: Record<1 | 2, number>;
  mlp: Record<1 | 2, number>;
  samples: Record<string, { matmul: number[]; mlp: number[] }>;
}

export function fmt(v: number | undefined): string {
  if (v === undefined) return '—';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** How many times better column `of` is than `to` on row `r`. */
export function rowRatio(r: Row, of: Column, to: Column): number | undefined {
  return ratioOf(r.values[of], r.values[to], r.higherIsBetter);
}

export function ratio(r: Row, of: Column, to: Column): string {
  return ratioText(rowRatio(r, of, to));
}

export function isNative(column: MlpColumn): column is NativeColumn {
  return column in NATIVE;
}

/**
 * The two MLP step tables (quiet: the rounds of main(); busy: beside the hog), one row per library, with
 * the rounds and the ratio of nabla-wasm 1T to each; and the load figures of the busy rounds.
 */
export function mlpStepTables(quiet: Samples, busy: Samples, natives: NativeReferences) {
  const med = (s: Samples, c: MlpColumn) => {
    const list = s[c];
    return list === undefined || list.length === 0 ? undefined : median([...list]);
  };
  const name = (c: MlpColumn) => (isNative(c) ? `${c} (native reference)` : c);
  const cell = (s: Samples, c: MlpColumn) =>
    isNative(c) && !natives.available(NATIVE[c][0]) ? 'not available' : fmt(med(s, c));
  const rounds = (s: Samples, c: MlpColumn) => (s[c] ?? []).map(fmt).join(', ') || '—';
  const vsNabla = (s: Samples, c: MlpColumn) => ratioText(ratioOf(med(s, 'nabla-wasm 1T'), med(s, c)));
  const quietTable = [
    '| library | steps/s | rounds (steps/s) | nabla-wasm 1T / this |',
    '| --- | ---: | --- | ---: |',
    ...MLP_COLUMNS.map((c) => `| ${name(c)} | ${cell(quiet, c)} | ${rounds(quiet, c)} | ${vsNabla(quiet, c)} |`),
  ];
  const busyTable = [
    '| library | steps/s beside the hog | rounds (steps/s) | nabla-wasm 1T / this (both beside the hog) | beside the hog / quiet |',
    '| --- | ---: | --- | ---: | ---: |',
    ...MLP_COLUMNS.map(
      (c) =>
        `| ${name(c)} | ${cell(busy, c)} | ${rounds(busy, c)} | ${vsNabla(busy, c)} | ${ratioText(ratioOf(med(busy, c), med(quiet, c)))} |`,
    ),
  ];
  const busyLoad = (list: { loadStart: number; loadEnd: number; seconds: number; hogCpuSeconds?: number }[]) => [
    `Load during the busy rounds (1-minute load average when each round started -> when it ended; it counts this bench and its hog, about 2 on an otherwise idle machine; and the share of a core the hog got): ${list
      .map(
        (r, i) =>
          `round ${i + 1}: ${r.loadStart.toFixed(2)} -> ${r.loadEnd.toFixed(2)} over ${r.seconds.toFixed(0)} s${r.hogCpuSeconds === undefined ? '' : `, hog ${(r.hogCpuSeconds / r.seconds).toFixed(2)} of a core`}`,
      )
      .join('; ')}.`,
  ];
  return { quiet: quietTable, busy: busyTable, busyLoad };
}

/**
 * Every native reference's checked losses against nabla-wasm 1T's first run (same data, same parameters):
 * the largest relative difference over the {@link CHECK_STEPS} steps, which must stay under
 * {@link NATIVE_LOSS_TOLERANCE}.
 */
export function nativeLossAgreement(): { ok: boolean; line: string; rel: Record<string, number> } {
  const reference = trainingRuns.find((r) => r.what === 'nabla-wasm 1T MLP');
  const rel: Record<string, number> = {};
  for (const c of NATIVE_COLUMNS)
    for (const run of trainingRuns.filter((r) => r.what === `${c} MLP`)) {
      if (reference === undefined) continue;
      const worst = Math.max(
        ...run.losses.map((l, i) => Math.abs(l - reference.losses[i]) / Math.abs(reference.losses[i])),
      );
      rel[c] = Math.max(rel[c] ?? 0, worst);
    }
  const entries = Object.entries(rel);
  const ok = entries.every(([, r]) => r <= NATIVE_LOSS_TOLERANCE);
  const line =
    entries.length === 0
      ? 'native references: no losses to compare (not available)'
      : `native references' first ${CHECK_STEPS} losses against nabla-wasm 1T's (largest relative difference over the steps and runs; must be under ${NATIVE_LOSS_TOLERANCE}): ${entries
          .map(([c, r]) => `${c} ${r.toExponential(1)}`)
          .join(', ')} — ${ok ? 'the same model and optimizer' : '**MISMATCH**'}`;
  return { ok, line, rel };
}

/** The issue's targets, each computed from the table: reached / not reached. */
export function targetLines(mm: Row[], mlp: Row, addRow: Row, plain: PlainSimd): string[] {
  const out: string[] = [];
  const verdict = (ok: boolean | undefined) =>
    ok === undefined ? '**not measured**' : ok ? '**reached**' : '**not reached**';
  const at = (r: Row, c: Column) => r.values[c];
  const rounds = (r: Row, c: Column) => ` (rounds: ${(r.samples[c] ?? []).map(fmt).join(', ')})`;
  const mm1024 = mm.filter((r) => r.case.startsWith('matmul 1024³'));
  const ab = mm1024[0];
  const w1 = at(ab, 'nabla-wasm 1T');
  const w2 = at(ab, 'nabla-wasm 2T');
  out.push(
    `- matmul 1024³ A·B ≥ 45 GFLOP/s on 1 thread: ${fmt(w1)}${rounds(ab, 'nabla-wasm 1T')}; plain SIMD ${fmt(plain.matmul[1])} — ${verdict(w1 === undefined ? undefined : w1 >= 45)}`,
  );
  const ahead = mm1024.map((r) => ({ r, q: rowRatio(r, 'nabla-wasm 1T', 'tfjs-wasm') }));
  const allAhead = ahead.every((a) => a.q !== undefined && a.q > 1);
  out.push(
    `- matmul 1024³ ahead of tfjs-wasm in every transpose case (1 thread): ${ahead
      .map(
        ({ r, q }) =>
          `${r.case.replace('matmul 1024³ ', '').replace(' (GFLOP/s)', '')} ${q === undefined ? '—' : `${q.toFixed(2)}x`}`,
      )
      .join(', ')} — ${verdict(allAhead)}`,
  );
  out.push(
    `- matmul 1024³ A·B ≥ 80 GFLOP/s on 2 threads: ${fmt(w2)}${rounds(ab, 'nabla-wasm 2T')}; plain SIMD ${fmt(plain.matmul[2])} — ${verdict(w2 === undefined ? undefined : w2 >= 80)}`,
  );
  const s1 = at(mlp, 'nabla-wasm 1T');
  const s2 = at(mlp, 'nabla-wasm 2T');
  out.push(
    `- MLP step ≥ 320 steps/s on 1 thread: ${fmt(s1)}${rounds(mlp, 'nabla-wasm 1T')}; plain SIMD ${fmt(plain.mlp[1])} — ${verdict(s1 === undefined ? undefined : s1 >= 320)}`,
  );
  const vsJax = rowRatio(mlp, 'nabla-wasm 1T', 'jax-js wasm');
  out.push(
    `- MLP step ≥ 2x jax-js (jit), 1 thread: ${vsJax === undefined ? '—' : `${vsJax.toFixed(2)}x`} — ${verdict(vsJax === undefined ? undefined : vsJax >= 2)}`,
  );
  const vsTf = rowRatio(mlp, 'nabla-wasm 1T', 'tfjs-wasm');
  out.push(
    `- MLP step ≥ 10x tfjs-wasm, 1 thread: ${vsTf === undefined ? '—' : `${vsTf.toFixed(2)}x`} — ${verdict(vsTf === undefined ? undefined : vsTf >= 10)}`,
  );
  out.push(
    `- MLP step ≥ 500 steps/s on 2 threads: ${fmt(s2)}${rounds(mlp, 'nabla-wasm 2T')}; plain SIMD ${fmt(plain.mlp[2])} — ${verdict(s2 === undefined ? undefined : s2 >= 500)}`,
  );
  const op = at(addRow, 'nabla-wasm 1T');
  const opCpu = at(addRow, 'nabla-cpu');
  out.push(
    `- per-op overhead ≤ 1 µs (add, 64 elements, nabla-wasm 1T; nabla-cpu ${fmt(opCpu)}): ${fmt(op)}${rounds(addRow, 'nabla-wasm 1T')} — ${verdict(op === undefined ? undefined : op <= 1)}`,
  );
  return out;
}

/**
 * For each model, the spread (max - min over columns) of the first loss, which must be under 1e-3
 * (same parameters, same data, same function), and of the last checked loss (reported only).
 */
export function lossAgreement(): { ok: boolean; lines: string[] } {
  let ok = true;
  const lines: string[] = [];
  for (const model of ['MLP', 'CNN']) {
    const runs = trainingRuns.filter((r) => r.what.endsWith(` ${model}`));
    const spread = (pick: (l: number[]) => number) => {
      const v = runs.map((r) => pick(r.losses));
      return Math.max(...v) - Math.min(...v);
    };
    const first = spread((l) => l[0]);
    const last = spread((l) => l[l.length - 1]);
    const agree = first < 1e-3;
    ok &&= agree;
    const columns = new Set(runs.map((r) => r.what)).size;
    lines.push(
      `- ${model}, ${columns} columns (${runs.length} runs over the rounds): first loss spread ${first.toExponential(1)} (${agree ? 'same model' : '**MISMATCH: not the same model**'}), last checked loss spread ${last.toExponential(1)}`,
    );
  }
  return { ok, lines };
}
