#!/usr/bin/env node
// Build the playground (examples/playground) to static files in examples/playground/dist, bundled from
// the packages' sources with the aliases the tests use: `node scripts/build-playground.mjs`.
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../examples/playground/', import.meta.url));
await build({ root, configFile: `${root}vite.config.ts` });
console.log(`playground built: ${root}dist (serve it with any static server)`);
