// Barrel of the grid-sample area (modules): filled by its implementation files.
export {};
