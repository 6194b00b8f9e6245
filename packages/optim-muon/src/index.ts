// @nablajs/optim-muon: placeholder until the package lands.
export {};
