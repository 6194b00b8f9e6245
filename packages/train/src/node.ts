// @nablajs/train: the lead wires this barrel.
export {};
