/**
 * `@nablajs/data/node`: reading MNIST IDX files from a directory (`loadMnist`), the path of the
 * MNIST test set bundled with the package (`bundledMnistTestDir`), and the bundled tiny Shakespeare
 * decompressed with node:zlib (`loadTinyShakespeare`, `loadTinyShakespeareSync`). Node only.
 *
 * @packageDocumentation
 * @module @nablajs/data/node
 */
export { bundledMnistTestDir, type LoadMnistOptions, loadMnist, MNIST_MAX_BYTES } from './node-mnist';
export { loadTinyShakespeare, loadTinyShakespeareSync } from './text/node-tiny-shakespeare';
export type { TinyShakespeare } from './text/tiny-shakespeare';
