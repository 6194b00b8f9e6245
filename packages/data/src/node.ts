// @nablajs/data/node: reading MNIST IDX files from a directory (Node only).
export { bundledMnistTestDir, type LoadMnistOptions, loadMnist } from './node-mnist';
