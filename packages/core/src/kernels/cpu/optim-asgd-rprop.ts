// The fused steps of ASGD and Rprop (cpu kernels): filled in by their change.
export {};
