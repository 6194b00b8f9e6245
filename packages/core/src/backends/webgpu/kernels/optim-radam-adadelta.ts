import type { AdaptFn } from '../register';

// The fused steps of RAdam and Adadelta on the GPU: filled in by their change.

/** Register the GPU kernels of RAdam and Adadelta with `adapt` (see webGpuAdapters). */
export function adaptRadamAdadelta(_adapt: AdaptFn): void {}
