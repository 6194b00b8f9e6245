// Barrel of the more-pool area (functional forms, part of `F`): filled by its implementation files.
export {};
