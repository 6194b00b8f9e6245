import { checkOptions, optionNames, type Tensor, ValueError } from '@nablajs/core';
import { gradientsOf, withValuesOnHost } from '../host-values';
import type { Trainable, TrainContext, TrainPlugin } from '../types';

/** Options of {@link gradientMonitor}. */
export interface GradientMonitorOptions {
  /** Check every n-th optimizer step (1 = every step). Default 1. */
  every?: number;
  /** A layer whose gradient norm is below this is reported as vanishing. Default 1e-7. */
  vanishing?: number;
  /** A layer whose gradient norm is above this is reported as exploding. Default 1e3. */
  exploding?: number;
  /** Where warnings go. Default `console.warn`. */
  warn?: (message: string) => void;
  /** Group norms per layer (default: the module that owns the parameter) or report each parameter. */
  level?: 'layer' | 'parameter';
  /** Add the norms to the batch logs as `grad_norm/<name>` and `grad_norm/total`. Default false. */
  logNorms?: boolean;
}

const OPTIONS = optionNames<GradientMonitorOptions>({
  every: true,
  vanishing: true,
  exploding: true,
  warn: true,
  level: true,
  logNorms: true,
});

/** The gradient monitor plugin, with the norms of the last batch it checked. */
export interface GradientMonitorPlugin extends TrainPlugin {
  /** The L2 gradient norm per layer (or parameter) at the last check, and `total` over all of them. */
  readonly norms: Readonly<Record<string, number>>;
}

/**
 * The model's parameters with names: `namedParameters()` when the model has it, else `param0`, `param1`, ...
 *
 * @internal
 */
export function namedParametersOf(model: Trainable): [string, Tensor][] {
  const named = (model as { namedParameters?: () => [string, Tensor][] }).namedParameters;
  if (typeof named === 'function') return named.call(model);
  return model.parameters().map((p, i) => [`param${i}`, p]);
}

/**
 * The layer that owns a parameter: its dotted name without the last part (`'net.0.weight'` -> `'net.0'`).
 *
 * @internal
 */
export function layerOf(parameterName: string): string {
  const dot = parameterName.lastIndexOf('.');
  return dot < 0 ? '(model)' : parameterName.slice(0, dot);
}

function format(x: number): string {
  return x === 0 ? '0' : x.toExponential(2);
}

/**
 * Watch the gradient norms of every layer after backward, and warn when they vanish (norm below
 * `vanishing`) or explode (above `exploding`), naming the layers. A layer is the module that owns the
 * parameters (named by `model.namedParameters()`, as in `summary`); its norm is the L2 norm of all its
 * parameters' gradients, `sqrt(Σ_p Σ_i g_pi²)`.
 *
 * It checks every `every`-th step (skipped steps, such as the inner batches of gradient accumulation, are
 * not checked), warns at most once per layer and kind per epoch, keeps the last norms in `plugin.norms`, and
 * with `logNorms` adds them to the batch logs as `grad_norm/<name>` (PyTorch Lightning's
 * `grad_norm` utility naming). List it before {@link gradientClipping} to see the norms before clipping.
 *
 * @example
 * ```ts
 * const monitor = gradientMonitor({ every: 10, logNorms: true });
 * await fit({ model, data, loss, optimizer, epochs: 5, plugins: [monitor] });
 * // gradientMonitor: vanishing gradients at epoch 0, batch 0 in layer '0' (norm 3.12e-9 < 1.00e-7)
 * monitor.norms['0']; // the last norm of layer '0'
 * ```
 */
export function gradientMonitor(options: GradientMonitorOptions = {}): GradientMonitorPlugin {
  const fn = 'gradientMonitor';
  checkOptions(fn, options, OPTIONS);
  const every = options.every ?? 1;
  const vanishing = options.vanishing ?? 1e-7;
  const exploding = options.exploding ?? 1e3;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const level = options.level ?? 'layer';
  const logNorms = options.logNorms ?? false;
  if (!Number.isInteger(every) || every < 1)
    throw new ValueError(`${fn}: every must be a positive integer, got ${every}`);
  if (typeof vanishing !== 'number' || !(vanishing >= 0))
    throw new ValueError(`${fn}: vanishing must be a number >= 0, got ${vanishing}`);
  if (typeof exploding !== 'number' || !(exploding > vanishing))
    throw new ValueError(`${fn}: exploding must be a number above vanishing (${vanishing}), got ${exploding}`);
  if (typeof warn !== 'function') throw new ValueError(`${fn}: warn must be a function`);
  if (level !== 'layer' && level !== 'parameter')
    throw new ValueError(`${fn}: level must be 'layer' or 'parameter', got ${JSON.stringify(level)}`);

  let norms: Record<string, number> = {};
  let checks = 0;
  const warned = new Set<string>();
  const what = level === 'layer' ? 'layer' : 'parameter';

  const report = (kind: 'vanishing' | 'exploding', names: string[], epoch: number, batch: number) => {
    const fresh = names.filter((name) => !warned.has(`${kind}:${name}`));
    if (fresh.length === 0) return;
    for (const name of fresh) warned.add(`${kind}:${name}`);
    const sign = kind === 'vanishing' ? '<' : '>';
    const bound = kind === 'vanishing' ? vanishing : exploding;
    const list = fresh.map((name) => `'${name}' (norm ${format(norms[name])} ${sign} ${format(bound)})`).join(', ');
    const hint =
      kind === 'vanishing'
        ? 'the layers before these barely learn: check saturating activations, initialisation or depth'
        : 'updates may diverge: lower the learning rate or add gradientClipping';
    warn(
      `${fn}: ${kind} gradients at epoch ${epoch}, batch ${batch} in ${what}${fresh.length > 1 ? 's' : ''} ${list}; ${hint}`,
    );
  };

  return {
    name: 'gradientMonitor',
    get norms() {
      return norms;
    },
    epochStart() {
      warned.clear();
    },
    afterBackward(ctx) {
      if (ctx.stepSkipped) return;
      checks++;
      if ((checks - 1) % every !== 0) return;
      // On the webgpu backend the gradients come back from the GPU first (one read).
      return withValuesOnHost(
        () => gradientsOf(ctx.model),
        () => measure(ctx),
      );
    },
  };

  function measure(ctx: TrainContext): void {
    const squares = new Map<string, number>();
    let total = 0;
    for (const [name, p] of namedParametersOf(ctx.model)) {
      const g = p.grad;
      if (g === null) continue;
      let s = 0;
      const d = g.values;
      for (let i = 0; i < d.length; i++) s += d[i] * d[i];
      const key = level === 'layer' ? layerOf(name) : name;
      squares.set(key, (squares.get(key) ?? 0) + s);
      total += s;
    }
    norms = {};
    for (const [key, s] of squares) norms[key] = Math.sqrt(s);
    norms.total = Math.sqrt(total);
    if (logNorms) for (const [key, v] of Object.entries(norms)) ctx.batchLogs[`grad_norm/${key}`] = v;
    const names = [...squares.keys()];
    report(
      'vanishing',
      names.filter((n) => norms[n] < vanishing),
      ctx.epoch,
      ctx.batch,
    );
    report(
      'exploding',
      names.filter((n) => norms[n] > exploding),
      ctx.epoch,
      ctx.batch,
    );
  }
}
