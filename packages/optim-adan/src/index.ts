// @nablajs/optim-adan: placeholder until the package lands.
export {};
