/**
 * `@nablajs/data/node`: reading MNIST IDX files from a directory (`loadMnist`), and the path of the
 * MNIST test set bundled with the package (`bundledMnistTestDir`). Node only.
 *
 * @packageDocumentation
 * @module @nablajs/data/node
 */
export { bundledMnistTestDir, type LoadMnistOptions, loadMnist, MNIST_MAX_BYTES } from './node-mnist';
