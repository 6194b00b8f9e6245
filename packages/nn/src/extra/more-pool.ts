// Barrel of the more-pool area (modules): filled by its implementation files.
export {};
