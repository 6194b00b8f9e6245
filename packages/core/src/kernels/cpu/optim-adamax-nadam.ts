// The fused steps of Adamax and NAdam (cpu kernels): filled in by their change.
export {};
