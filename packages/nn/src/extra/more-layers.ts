// Barrel of the more-layers area (modules): filled by its implementation files.
export {};
