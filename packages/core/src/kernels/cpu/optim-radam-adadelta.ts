// The fused steps of RAdam and Adadelta (cpu kernels): filled in by their change.
export {};
