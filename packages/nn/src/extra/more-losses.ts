// Barrel of the more-losses area (modules): filled by its implementation files.
export {};
