import { NablaError } from '@nablajs/core';

/** A state-dict entry whose shape differs from the module's tensor of the same name. */
export interface ShapeMismatch {
  /** The dotted name, e.g. `'net.0.weight'`. */
  readonly key: string;
  /** The shape of the module's tensor. */
  readonly expected: readonly number[];
  /** The shape found in the state dict. */
  readonly got: readonly number[];
}

/**
 * Thrown by `Module.loadStateDict` when a state dict does not fit the module: every missing key,
 * unexpected key and shape mismatch is collected and reported together, and the module is left
 * untouched. Like the `RuntimeError: Error(s) in loading state_dict` of PyTorch's `load_state_dict`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.load_state_dict
 *
 * @example
 * ```ts
 * try {
 *   model.loadStateDict(sd);
 * } catch (e) {
 *   if (e instanceof StateDictError) console.log(e.missingKeys, e.unexpectedKeys, e.shapeMismatches);
 * }
 * ```
 */
export class StateDictError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'StateDictError';
  /** Names the module has but the state dict lacks. */
  readonly missingKeys: readonly string[];
  /** Names in the state dict that the module does not have. */
  readonly unexpectedKeys: readonly string[];
  /** Names present on both sides with different shapes. */
  readonly shapeMismatches: readonly ShapeMismatch[];

  constructor(
    owner: string,
    missingKeys: readonly string[],
    unexpectedKeys: readonly string[],
    shapeMismatches: readonly ShapeMismatch[],
  ) {
    const parts: string[] = [];
    if (missingKeys.length > 0) parts.push(`missing keys: ${missingKeys.map((k) => JSON.stringify(k)).join(', ')}`);
    if (unexpectedKeys.length > 0)
      parts.push(`unexpected keys: ${unexpectedKeys.map((k) => JSON.stringify(k)).join(', ')}`);
    if (shapeMismatches.length > 0)
      parts.push(
        `shape mismatches: ${shapeMismatches
          .map(
            (m) =>
              `${JSON.stringify(m.key)} has shape ${JSON.stringify(m.got)} in the state dict but ${JSON.stringify(m.expected)} in the model`,
          )
          .join(', ')}`,
      );
    const count = missingKeys.length + unexpectedKeys.length + shapeMismatches.length;
    super(
      `${owner}.loadStateDict: ${count} problem${count === 1 ? '' : 's'} (nothing was loaded): ${parts.join('; ')}`,
    );
    this.missingKeys = Object.freeze([...missingKeys]);
    this.unexpectedKeys = Object.freeze([...unexpectedKeys]);
    this.shapeMismatches = Object.freeze([...shapeMismatches]);
  }
}
