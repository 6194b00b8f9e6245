import { checkOptions, type DType, noGrad, optionNames, Tensor, ValueError, zeros } from '@nablajs/core';
import { Module } from './module';

/** Options of {@link summary}. */
export interface SummaryOptions {
  /** The dtype of the zero input (default: the dtype of the model's first parameter, else float32; use int32 for an Embedding). */
  dtype?: DType;
}

function describeOutput(output: unknown): string {
  if (output instanceof Tensor) return JSON.stringify(output.shape);
  if (Array.isArray(output) && output.every((o) => o instanceof Tensor))
    return output.map((o: Tensor) => JSON.stringify(o.shape)).join(', ');
  return '-';
}

function countOf(tensors: readonly Tensor[]): number {
  return tensors.reduce((n, t) => n + t.size, 0);
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function padStart(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

/**
 * A printable table of a model's layers, like Keras' `model.summary()` or `torchinfo.summary`: one row
 * per submodule (indented by depth) with its type, its output shape and its parameter count (including
 * its children's), then the total, trainable and non-trainable parameter counts.
 *
 * With `inputShape`, output shapes come from one forward pass on a zero input of that shape, run with
 * forward hooks, under `noGrad` and in eval mode (so BatchNorm statistics are not touched); the training
 * flags are restored afterwards. Layers that did not run show `-`.
 *
 * @example
 * ```ts
 * console.log(summary(new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3)), [2, 4]));
 * // Layer (type)    Output shape   Param #
 * // 0 (Linear)      [2,8]               40
 * // ...
 * // Total params: 67
 * ```
 */
export function summary(model: Module, inputShape?: readonly number[], options: SummaryOptions = {}): string {
  if (!(model instanceof Module)) throw new ValueError('summary: model must be a Module');
  checkOptions('summary', options, optionNames<SummaryOptions>({ dtype: true }));
  const named = model.namedModules().slice(1);
  const outputs = new Map<Module, string>();
  let modelOutput = '';
  if (inputShape !== undefined) {
    if (!Array.isArray(inputShape) || !inputShape.every((d) => Number.isInteger(d) && d >= 0))
      throw new ValueError(
        `summary: inputShape must be a list of non-negative integers, got ${JSON.stringify(inputShape)}`,
      );
    const dtype = options.dtype ?? model.parameters()[0]?.dtype ?? 'float32';
    const modes = model.modules().map((m) => [m, m.training] as const);
    const removers = named.map(([, m]) =>
      m.registerForwardHook((mod, _inputs, output) => {
        outputs.set(mod, describeOutput(output));
        return undefined;
      }),
    );
    try {
      model.eval();
      modelOutput = describeOutput(noGrad(() => model.forward(zeros(inputShape, { dtype }))));
    } finally {
      for (const remove of removers) remove();
      for (const [m, mode] of modes) m.training = mode;
    }
  }
  const rows = named.map(([name, m]) => {
    const depth = name.split('.').length - 1;
    return [
      `${'  '.repeat(depth)}${name} (${m.constructor.name})`,
      outputs.get(m) ?? '-',
      countOf(m.parameters()).toLocaleString('en-US'),
    ];
  });
  const header = ['Layer (type)', 'Output shape', 'Param #'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `${pad(cells[0], widths[0])}   ${pad(cells[1], widths[1])}   ${padStart(cells[2], widths[2])}`.trimEnd();
  const width = widths[0] + widths[1] + widths[2] + 6;
  const params = model.parameters();
  const total = countOf(params);
  const trainable = countOf(params.filter((p) => p.requiresGrad));
  const out = [
    model.constructor.name,
    '='.repeat(width),
    line(header),
    '-'.repeat(width),
    ...rows.map(line),
    '='.repeat(width),
  ];
  if (inputShape !== undefined) {
    out.push(`Input shape: ${JSON.stringify(inputShape)}`);
    out.push(`Output shape: ${modelOutput}`);
  }
  out.push(`Total params: ${total.toLocaleString('en-US')}`);
  out.push(`Trainable params: ${trainable.toLocaleString('en-US')}`);
  out.push(`Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`);
  return out.join('\n');
}
