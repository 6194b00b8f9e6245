import { checkFusedKernel, type KernelSpy } from '@nablajs/optim';
import { expect } from 'vitest';

/**
 * For an optimizer whose fused kernel takes neither `maximize` nor `decoupledWeightDecay` (NAdam, RAdam):
 * with either flag on from the start the kernel is never called (the chain takes those steps), and with
 * the flag switched on midway the kernel runs before and the chain after, the results equal to the bit
 * to the chain-only run.
 */
export function expectFlagsLeftToTheChain(factory: Parameters<typeof checkFusedKernel>[0], spy: KernelSpy): void {
  for (const flag of ['maximize', 'decoupledWeightDecay']) {
    const off = checkFusedKernel(factory, spy, { steps: 6, options: { lr: 0.01, weightDecay: 0.1, [flag]: true } });
    expect({ failures: off.failures, kernelCalls: off.kernelCalls }).toEqual({ failures: [], kernelCalls: 0 });
    const mixed = checkFusedKernel(factory, spy, {
      steps: 20,
      tolerance: 0,
      options: { lr: 0.01, weightDecay: 0.1 },
      schedule: (k) => (k === 10 ? { [flag]: true } : null),
    });
    expect(mixed.failures).toEqual([]);
    expect(mixed.maxError).toBe(0);
    expect(mixed.kernelCalls).toBeGreaterThan(0);
  }
}
