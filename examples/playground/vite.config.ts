import { defineConfig } from 'vite';
import { sourceAliases } from '../../vitest.shared.ts';

// The playground is bundled from the packages' TypeScript sources through the same aliases the tests use,
// so it needs no `pnpm run build` first and always shows the code in the tree. `base: './'` makes the
// built page work from any directory of a static server (or a subpath of GitHub Pages).
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  resolve: { alias: sourceAliases },
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 1500 },
});
