// @nablajs/optim-schedulefree: placeholder until the package lands.
export {};
