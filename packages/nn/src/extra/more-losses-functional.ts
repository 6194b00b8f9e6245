// Barrel of the more-losses area (functional forms, part of `F`): filled by its implementation files.
export {};
