// Barrel of the more-activations area (functional forms, part of `F`): filled by its implementation files.
export {};
