import { ValueError, zeros } from '@nablajs/core';
import {
  createOptimizer,
  type Hyperparams,
  type HyperValue,
  listOptimizers,
  type Optimizer,
  type ParamsInput,
  registeredFactory,
  wrapperDefinitionOf,
} from '@nablajs/optim';
import { formatValue, parseKeyValues } from './spec-values';
import { UsageError, validList } from './usage-error';

/**
 * One optimizer of a comparison, as the user wrote it: `[label@]name[:key=value,...]`.
 *
 * - `sgd`: SGD with its defaults, shown as `sgd`;
 * - `sgd:lr=0.1,momentum=0.9`: with options;
 * - `momentum@sgd:lr=0.1,momentum=0.9`: the same, shown as `momentum` (to compare one optimizer
 *   with itself under different settings);
 * - values: numbers (`1e-3`), booleans, `null`, lists (`betas=[0.9,0.99]` or `betas=0.9/0.99`),
 *   strings (`lineSearchFn=strong_wolfe`); PyTorch's snake_case names work (`weight_decay`);
 * - wrappers name the optimizer they wrap and give its options with a dot:
 *   `lookahead:inner=adam,inner.betas=[0.9,0.99],k=5`, `sam:base=sgd,base.lr=0.1,base.momentum=0.9,rho=0.05`.
 */
export interface OptimizerSpec {
  /** The name shown in the table, the legend and the result files (unique within a comparison). */
  label: string;
  /** The registered optimizer name (`sgd`, `adam`, ...). */
  name: string;
  /** The options the user gave (not the defaults). */
  options: Record<string, HyperValue>;
  /** The spec as written. */
  text: string;
}

/** An {@link OptimizerSpec} checked against the registry, with every hyperparameter (defaults filled in). */
export interface ResolvedOptimizer extends OptimizerSpec {
  /** Every hyperparameter the optimizer will use. */
  hyperparams: Hyperparams;
}

const SPEC = /^(?:([^\s@:]+)@)?([A-Za-z][A-Za-z0-9_-]*)(?::(.*))?$/s;

/**
 * Parse one optimizer spec (`momentum@sgd:lr=0.1,momentum=0.9`); the label defaults to the name.
 *
 * @example
 * ```ts
 * parseOptimizerSpec('adam:lr=1e-3,betas=[0.9,0.99]');
 * // { label: 'adam', name: 'adam', options: { lr: 0.001, betas: [0.9, 0.99] }, text: '...' }
 * ```
 */
export function parseOptimizerSpec(text: string): OptimizerSpec {
  const match = SPEC.exec(text.trim());
  if (match === null)
    throw new UsageError(
      `invalid optimizer spec ${JSON.stringify(text)}; expected [label@]name[:key=value,...], e.g. sgd:lr=0.1,momentum=0.9 or momentum@sgd:momentum=0.9`,
    );
  const [, label, name, rest] = match;
  const options = rest === undefined ? {} : parseKeyValues(rest, `optimizer spec ${JSON.stringify(text)}`);
  return { label: label ?? name, name, options, text: text.trim() };
}

/**
 * Parse the values of `--optimizers` (each holding one or more specs separated by spaces) into specs
 * with unique labels: an optimizer named once is labelled by its name, one named several times by
 * its whole spec (`sgd:lr=0.1`), unless the user gave labels.
 *
 * @example
 * ```ts
 * parseOptimizerSpecs(['sgd:lr=0.1 sgd:lr=0.1,momentum=0.9', 'adam']).map((s) => s.label);
 * // ['sgd:lr=0.1', 'sgd:lr=0.1,momentum=0.9', 'adam']
 * ```
 */
export function parseOptimizerSpecs(values: readonly string[]): OptimizerSpec[] {
  const texts = values.flatMap((v) => v.split(/\s+/)).filter((t) => t !== '');
  if (texts.length === 0)
    throw new UsageError('--optimizers: no optimizer given (e.g. --optimizers "sgd:lr=0.1 adam")');
  const specs = texts.map(parseOptimizerSpec);
  const labelledByUser = (s: OptimizerSpec) => s.text.includes('@');
  const count = new Map<string, number>();
  for (const s of specs) if (!labelledByUser(s)) count.set(s.name, (count.get(s.name) ?? 0) + 1);
  const labelled = specs.map((s) => (labelledByUser(s) || count.get(s.name) === 1 ? s : { ...s, label: s.text }));
  const seen = new Set<string>();
  for (const s of labelled) {
    if (seen.has(s.label))
      throw new UsageError(
        `--optimizers: the label ${JSON.stringify(s.label)} is used twice; give each its own label (label@${s.name}:...)`,
      );
    seen.add(s.label);
  }
  return labelled;
}

/**
 * The options to pass to the optimizer's factory: a dotted key `inner.betas` becomes `innerOptions.betas`, the
 * options of the optimizer that a wrapper wraps; every other key passes through.
 *
 * @example
 * ```ts
 * factoryOptions({ inner: 'adam', 'inner.betas': [0.9, 0.99], k: 5 });
 * // { inner: 'adam', innerOptions: { betas: [0.9, 0.99] }, k: 5 }
 * ```
 */
export function factoryOptions(
  options: Readonly<Record<string, HyperValue>>,
): Record<string, HyperValue | Record<string, HyperValue>> {
  const out: Record<string, HyperValue | Record<string, HyperValue>> = {};
  for (const [key, value] of Object.entries(options)) {
    const dot = key.indexOf('.');
    if (dot < 0) {
      out[key] = value;
      continue;
    }
    const nestKey = `${key.slice(0, dot)}Options`;
    const nested = (out[nestKey] ?? {}) as Record<string, HyperValue>;
    nested[key.slice(dot + 1)] = value;
    out[nestKey] = nested;
  }
  return out;
}

/**
 * Build the optimizer of a spec over `params` (wrapped optimizers' dotted options nested, see {@link factoryOptions}).
 *
 * @example
 * ```ts
 * createSpecOptimizer(parseOptimizerSpec('lookahead:inner=sgd,inner.lr=0.1'), model.parameters());
 * ```
 */
export function createSpecOptimizer(spec: Pick<OptimizerSpec, 'name' | 'options'>, params: ParamsInput): Optimizer {
  return createOptimizer(spec.name, params, factoryOptions(spec.options));
}

/**
 * The default hyperparameters of a registered optimizer (read from an optimizer built on a dummy
 * parameter, so that they are the plugin's own). A wrapper's defaults depend on the optimizer it wraps:
 * give it in `options` (`{ inner: 'adam' }`).
 *
 * @example
 * ```ts
 * optimizerDefaults('sgd'); // { lr: 0.001, momentum: 0, dampening: 0, ... }
 * optimizerDefaults('lookahead', { inner: 'adam' }); // { lr: 0.001, betas: [...], ..., k: 5, alpha: 0.5, inner: 'adam' }
 * ```
 */
export function optimizerDefaults(name: string, options: Readonly<Record<string, HyperValue>> = {}): Hyperparams {
  const probe = zeros([1], { requiresGrad: true });
  const wrapper = wrapperDefinitionOf(registeredFactory(name));
  const selection: Record<string, HyperValue> = {};
  if (wrapper !== undefined && options[wrapper.innerOption] !== undefined)
    selection[wrapper.innerOption] = options[wrapper.innerOption];
  return { ...createOptimizer(name, [probe], selection).defaults };
}

/**
 * How `--help` shows a wrapper's options: `inner=<optimizer> inner.<option>=... k=5 alpha=0.5`; `undefined`
 * for an optimizer that wraps nothing.
 *
 * @example
 * ```ts
 * describeWrapper('lookahead'); // 'inner=<optimizer> inner.<option>=<value> k=5 alpha=0.5'
 * ```
 */
export function describeWrapper(name: string): string | undefined {
  const wrapper = wrapperDefinitionOf(registeredFactory(name));
  if (wrapper === undefined) return undefined;
  const inner = wrapper.innerOption;
  const own = formatHyperparams(wrapper.defaults);
  const first = wrapper.defaultInner === undefined ? `${inner}=<optimizer>` : `${inner}=${wrapper.defaultInner}`;
  return `${first} ${inner}.<option>=<value> ${own}`.trim();
}

/**
 * Check specs against the optimizer registry: every name registered, every option a hyperparameter
 * of that optimizer, every value accepted by the optimizer's own validation. Errors are
 * {@link UsageError}s that list the valid names.
 *
 * @example
 * ```ts
 * resolveOptimizers(parseOptimizerSpecs(['sgd:lr=0.1']))[0].hyperparams.momentum; // 0
 * ```
 */
export function resolveOptimizers(specs: readonly OptimizerSpec[]): ResolvedOptimizer[] {
  const registered = listOptimizers();
  return specs.map((spec) => {
    if (!registered.includes(spec.name))
      throw new UsageError(`unknown optimizer ${JSON.stringify(spec.name)}${validList('optimizers', registered)}`);
    try {
      const wrapper = wrapperDefinitionOf(registeredFactory(spec.name));
      const defaults = optimizerDefaults(spec.name, spec.options);
      for (const key of Object.keys(spec.options)) {
        const dot = key.indexOf('.');
        if (dot >= 0 && wrapper !== undefined && key.slice(0, dot) === wrapper.innerOption) continue;
        if (!Object.hasOwn(defaults, key))
          throw new UsageError(
            `unknown hyperparameter ${JSON.stringify(key)} for optimizer ${spec.name}${validList(`hyperparameters of ${spec.name}`, Object.keys(defaults))}`,
          );
      }
      const probe = zeros([1], { requiresGrad: true });
      const opt = createSpecOptimizer(spec, [probe]);
      return { ...spec, hyperparams: { ...opt.defaults } };
    } catch (error) {
      if (error instanceof ValueError) throw new UsageError(`optimizer ${spec.label}: ${error.message}`);
      throw error;
    }
  });
}

/**
 * The hyperparameters as one line, `lr=0.1 momentum=0.9 ...`.
 *
 * @example
 * ```ts
 * formatHyperparams({ lr: 0.1, betas: [0.9, 0.999] }); // 'lr=0.1 betas=[0.9,0.999]'
 * ```
 */
export function formatHyperparams(hp: Readonly<Record<string, HyperValue>>): string {
  return Object.entries(hp)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ');
}
