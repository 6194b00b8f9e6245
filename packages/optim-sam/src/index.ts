// @nablajs/optim-sam: placeholder until the package lands.
export {};
