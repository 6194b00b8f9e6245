import type { AdaptFn } from '../register';

// The fused steps of ASGD and Rprop on the GPU: filled in by their change.

/** Register the GPU kernels of ASGD and Rprop with `adapt` (see webGpuAdapters). */
export function adaptAsgdRprop(_adapt: AdaptFn): void {}
