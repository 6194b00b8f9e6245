// @nablajs/optim-prodigy: placeholder until the package lands.
export {};
