// init.sparse: filled by the implementation.
export {};
