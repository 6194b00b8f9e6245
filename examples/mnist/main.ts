// MNIST from a directory of IDX files: an MLP (784 -> 128 -> 10) trained with fit() and Adam. Without a
// directory it uses the 10,000 test images bundled with @nablajs/data, split into train and test parts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, indexSelect, randperm, type Tensor } from '@nablajs/core';
import { DataLoader, TensorDataset } from '@nablajs/data';
import { bundledMnistTestDir, loadMnist } from '@nablajs/data/node';
import { crossEntropy, Linear, ReLU, Sequential } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { fit, type Logs, progressBar } from '@nablajs/train';

/** Options of {@link trainMnist}. */
export interface MnistOptions {
  /**
   * A directory with the standard MNIST files (plain or `.gz`). With the four files, training uses the
   * 60,000 `train` images and testing the 10,000 `t10k` ones; with only the two `t10k` files (as in the
   * bundled directory, the default), the test images are split at random into disjoint training and test
   * parts (8,000 and 2,000 at most).
   */
  dir?: string;
  /** Training images to use (default: all available, 8,000 of the bundled set). */
  trainSize?: number;
  /** Test images to use (default: all available, 2,000 of the bundled set). */
  testSize?: number;
  /** Samples per batch (default 64). */
  batchSize?: number;
  /** Adam's learning rate (default 1e-3). */
  lr?: number;
  /** Epochs (default 5). */
  epochs?: number;
  /** Seed of the initial weights and the shuffling (default 0). */
  seed?: number;
  /** Show a progress bar on stderr (default false). */
  progress?: boolean;
}

/** What {@link trainMnist} returns. */
export interface MnistResult {
  /** One entry per epoch: loss, accuracy, valLoss, valAccuracy, lr, epochTime, stepsPerSecond. */
  history: Logs[];
  /** Accuracy on the test images after the last epoch. */
  testAccuracy: number;
  /** Where the images came from, and how many were used. */
  source: string;
  trainSize: number;
  testSize: number;
  /** Wall time of the training, in seconds. */
  seconds: number;
}

/** The images and labels at `rows`, with the pixels standardised by `mean` and `std`. */
function part(set: { images: Tensor; labels: Tensor }, rows: Tensor, mean: number, std: number): TensorDataset {
  return new TensorDataset(indexSelect(set.images, 0, rows).sub(mean).div(std), indexSelect(set.labels, 0, rows));
}

/** The mean and (population) standard deviation of all the pixels of `images`. */
function pixelStats(images: Tensor): { mean: number; std: number } {
  let sum = 0;
  for (const v of images.data) sum += v;
  const mean = sum / images.size;
  let squares = 0;
  for (const v of images.data) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / images.size) };
}

/** Load MNIST from `dir`, train an MLP 784 -> 128 -> 10 with Adam (default lr 1e-3, batches of 64), and test it. */
export async function trainMnist(options: MnistOptions = {}): Promise<MnistResult> {
  const { dir = bundledMnistTestDir(), batchSize = 64, lr = 1e-3, epochs = 5, seed = 0, progress = false } = options;
  const hasTrain = ['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz'].some((f) => existsSync(join(dir, f)));
  const testSet = loadMnist(dir, { split: 't10k' });
  const trainSet = hasTrain ? loadMnist(dir, { split: 'train' }) : testSet;
  const available = hasTrain ? trainSet.images.shape[0] : 8000;
  const testAvailable = hasTrain ? testSet.images.shape[0] : 2000;
  const trainSize = Math.min(options.trainSize ?? available, available);
  const testSize = Math.min(options.testSize ?? testAvailable, testAvailable);
  // Seeded random subsets: the MNIST files are ordered by writer group (the last test images are harder), so
  // contiguous slices would not be representative. Without the train files, one permutation of the test images
  // gives disjoint train (front) and test (back) parts.
  const order = (n: number, offset: number) => randperm(n, { generator: new Generator(seed + offset) });
  const trainOrder = order(trainSet.images.shape[0], 10);
  const testOrder = hasTrain ? order(testSet.images.shape[0], 20) : trainOrder;
  const trainRows = trainOrder.slice([[0, trainSize]]);
  const testRows = testOrder.slice([[testOrder.shape[0] - testSize, testOrder.shape[0]]]);
  // Statistics of the training images only (close to the 0.1307 / 0.3081 of PyTorch's MNIST example).
  const { mean, std } = pixelStats(indexSelect(trainSet.images, 0, trainRows));
  const train = part(trainSet, trainRows, mean, std);
  const test = part(testSet, testRows, mean, std);

  const init = new Generator(seed);
  const model = new Sequential(
    new Linear(784, 128, { generator: init }),
    new ReLU(),
    new Linear(128, 10, { generator: init }),
  );
  const start = performance.now();
  const { history } = await fit({
    model,
    data: new DataLoader(train, { batchSize, shuffle: true, generator: new Generator(seed + 1) }),
    validation: new DataLoader(test, { batchSize: 500 }),
    loss: crossEntropy,
    optimizer: adam(model.parameters(), { lr }),
    epochs,
    metrics: { accuracy: true },
    plugins: progress ? [progressBar()] : [],
  });
  return {
    history,
    testAccuracy: history[history.length - 1].valAccuracy,
    source: hasTrain ? `${dir} (train / t10k)` : `${dir} (t10k only: split at random into train and test)`,
    trainSize,
    testSize,
    seconds: (performance.now() - start) / 1000,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await trainMnist({ dir: process.argv[2], progress: true });
  console.log(`${r.source}: ${r.trainSize} training images, ${r.testSize} test images`);
  console.log(
    `test accuracy ${(r.testAccuracy * 100).toFixed(2)}% after ${r.history.length} epochs, ${r.seconds.toFixed(1)} s`,
  );
}
