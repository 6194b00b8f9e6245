// init.eye and init.dirac: filled by the implementation.
export {};
