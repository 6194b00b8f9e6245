// @nablajs/optim-ademamix: placeholder until the package lands.
export {};
