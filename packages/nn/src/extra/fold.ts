// Barrel of the fold area (modules): filled by its implementation files.
export {};
