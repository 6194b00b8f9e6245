// @nablajs/optim-soap: placeholder until the package lands.
export {};
