#!/usr/bin/env node
// Measure what a browser app pays for nabla: bundle core + nn + optim + optim-adam for a small MLP trained
// with Adam (from the packages' sources, tree-shaken, minified with esbuild) and report the minified and
// gzip sizes: `node scripts/bundle-size.mjs [--json]`.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const alias = readdirSync(join(root, 'packages')).map((dir) => ({
  find: new RegExp(`^@nablajs/${dir}$`),
  replacement: join(root, 'packages', dir, 'src', 'index.ts'),
}));

const entry = `
import { Generator, randn, tensor } from '@nablajs/core';
import { Linear, ReLU, Sequential, mseLoss } from '@nablajs/nn';
import { createOptimizer, usePlugin } from '@nablajs/optim';
import adamPlugin from '@nablajs/optim-adam';

usePlugin(adamPlugin);
const generator = new Generator(0);
const model = new Sequential(new Linear(2, 16, { generator }), new ReLU(), new Linear(16, 1, { generator }));
const x = randn([64, 2], { generator });
const y = x.sum(1, true).sin();
const opt = createOptimizer('adam', model.parameters(), { lr: 0.01 });
let loss = 0;
for (let step = 0; step < 100; step++) {
  opt.zeroGrad();
  const l = mseLoss(model.forward(x), y);
  l.backward();
  opt.step();
  loss = l.item();
}
export const result = { loss, first: tensor([1, 2]).sum().item() };
`;

const dir = mkdtempSync(join(tmpdir(), 'nabla-bundle-'));
try {
  writeFileSync(join(dir, 'entry.js'), entry);
  await build({
    root: dir,
    configFile: false,
    logLevel: 'warn',
    resolve: { alias },
    build: {
      outDir: join(dir, 'out'),
      target: 'es2022',
      minify: 'esbuild',
      lib: { entry: join(dir, 'entry.js'), formats: ['es'], fileName: 'bundle' },
    },
  });
  const out = join(dir, 'out');
  const file = readdirSync(out).find((f) => /\.m?js$/.test(f));
  const code = readFileSync(join(out, file));
  const sizes = { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
  if (/["']node:/.test(code.toString())) throw new Error('bundle-size: the browser bundle imports a node: module');
  if (process.argv.includes('--json')) console.log(JSON.stringify(sizes));
  else
    console.log(
      `core + nn + optim + optim-adam, small MLP with Adam: ${(sizes.minified / 1024).toFixed(1)} kB minified, ${(sizes.gzip / 1024).toFixed(1)} kB gzip`,
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
