import { describe, expect, it } from 'vitest';
import { checkOptions, closestName } from './check-options';
import { ValueError } from './errors';

/** The message of the ValueError `f` throws. */
function message(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ValueError);
    return (error as Error).message;
  }
  throw new Error('expected a ValueError');
}

describe('checkOptions', () => {
  it('names the function and the key, suggests a close name and lists the options', () => {
    expect(message(() => checkOptions('f', { batch_size: 1 }, ['batchSize', 'shuffle']))).toBe(
      'f: unknown option "batch_size" (did you mean "batchSize"?); options are batchSize, shuffle',
    );
    expect(message(() => checkOptions('f', { colour: 1 }, ['batchSize', 'shuffle']))).toBe(
      'f: unknown option "colour"; options are batchSize, shuffle',
    );
    expect(message(() => checkOptions('f', { x: undefined }, []))).toBe('f: unknown option "x"; options are none');
    expect(message(() => checkOptions('f', 'valLoss', ['monitor']))).toBe(
      'f: expected an options object, got "valLoss"',
    );
    expect(message(() => checkOptions('f', [1], ['monitor']))).toBe('f: expected an options object, got an array');
    expect(() => checkOptions('f', undefined, [])).not.toThrow();
    expect(() => checkOptions('f', { a: 1 }, ['a', 'b'])).not.toThrow();
  });

  it('suggests snake_case, other cases, small typos and a known prefix, and nothing far', () => {
    const names = ['batchSize', 'validation', 'minDelta', 'restoreBestWeights', 'lr', 'mode'];
    expect(closestName('batch_size', names)).toBe('batchSize');
    expect(closestName('BatchSize', names)).toBe('batchSize');
    expect(closestName('min_delta', names)).toBe('minDelta');
    expect(closestName('restoreBestWieghts', names)).toBe('restoreBestWeights');
    expect(closestName('validationData', names)).toBe('validation');
    expect(closestName('mdoe', names)).toBe('mode');
    expect(closestName('epochs', names)).toBeNull();
    expect(closestName('x', names)).toBeNull();
  });
});
