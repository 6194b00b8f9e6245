// A module without a plugin as its default export, for the error test of --plugin.
export const answer = 42;
