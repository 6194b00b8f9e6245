// Barrel of the more-layers area (functional forms, part of `F`): filled by its implementation files.
export {};
