import type { AdaptFn } from '../register';

// The fused steps of Adamax and NAdam on the GPU: filled in by their change.

/** Register the GPU kernels of Adamax and NAdam with `adapt` (see webGpuAdapters). */
export function adaptAdamaxNadam(_adapt: AdaptFn): void {}
