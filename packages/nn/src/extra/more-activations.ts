// Barrel of the more-activations area (modules): filled by its implementation files.
export {};
