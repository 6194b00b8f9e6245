// The bundled 8x8 handwritten digits: split, standardise, train an MLP with a Trainer (fit with
// validation and early stopping, then evaluate and predict on the held-out test set).
import { Generator, indexSelect, Tensor } from '@nablajs/core';
import { DataLoader, loadDigits, Standardizer, Subset, splitTrainValTest, TensorDataset } from '@nablajs/data';
import { crossEntropy, Linear, ReLU, Sequential } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { earlyStopping, type Logs, Trainer } from '@nablajs/train';

/** Options of {@link trainDigits}. */
export interface DigitsOptions {
  /** Epochs at most (default 30); early stopping on the validation loss may end sooner. */
  epochs?: number;
  /** Hidden units (default 64). */
  hidden?: number;
  /** Adam's learning rate (default 3e-3). */
  lr?: number;
  /** Seed of the split, the initial weights and the shuffling (default 0). */
  seed?: number;
}

/** What {@link trainDigits} returns. */
export interface DigitsResult {
  /** One entry per epoch run: loss, accuracy, valLoss, valAccuracy, lr, epochTime, stepsPerSecond. */
  history: Logs[];
  /** Why training stopped early, or null. */
  stopReason: string | null;
  /** Loss and accuracy on the test split, which training never saw. */
  test: Logs;
  /** The sizes of the train, validation and test splits. */
  sizes: [number, number, number];
  /** Predicted classes of the first 20 test images. */
  predicted: number[];
  /** True classes of the first 20 test images. */
  actual: number[];
  /** Wall time of the training, in seconds. */
  seconds: number;
}

/**
 * Split the 1797 digits 70 / 15 / 15 by seed, standardise the pixels with the statistics of the training
 * split only, and train a 64 -> hidden -> 10 MLP with Adam (batches of 32, early stopping on `valLoss`).
 */
export async function trainDigits(options: DigitsOptions = {}): Promise<DigitsResult> {
  const { epochs = 30, hidden = 64, lr = 3e-3, seed = 0 } = options;
  const { images, labels } = loadDigits();
  const all = new TensorDataset(images, labels);
  const split = splitTrainValTest(all, { val: 0.15, test: 0.15, seed });
  const rows = (s: Subset<unknown>) => new Tensor(s.indices, [s.length], 'int32');
  // Statistics of the training images only: nothing leaks from validation or test data.
  const scaler = new Standardizer().fit(indexSelect(images, 0, rows(split.train)));
  const x = scaler.transform(images);
  const scaled = new TensorDataset(x, labels);
  const part = (s: Subset<unknown>) => new Subset(scaled, s.indices);
  const [train, val, test] = [part(split.train), part(split.val), part(split.test)];

  const init = new Generator(seed + 1);
  const model = new Sequential(
    new Linear(64, hidden, { generator: init }),
    new ReLU(),
    new Linear(hidden, 10, { generator: init }),
  );
  const trainer = new Trainer({
    model,
    loss: crossEntropy,
    optimizer: adam(model.parameters(), { lr }),
    metrics: { accuracy: true },
  });
  const start = performance.now();
  const { history, stopReason } = await trainer.fit({
    data: new DataLoader(train, { batchSize: 32, shuffle: true, generator: new Generator(seed + 2) }),
    validation: new DataLoader(val, { batchSize: 512 }),
    epochs,
    plugins: [earlyStopping({ monitor: 'valLoss', patience: 3, restoreBestWeights: true })],
  });
  const seconds = (performance.now() - start) / 1000;
  const testLoader = new DataLoader(test, { batchSize: 512 });
  const first = new Tensor(split.test.indices.slice(0, 20), [20], 'int32');
  return {
    history,
    stopReason,
    test: trainer.evaluate(testLoader),
    sizes: [train.length, val.length, test.length],
    predicted: Array.from(trainer.predict(indexSelect(x, 0, first)).argmax(1).data),
    actual: Array.from(indexSelect(labels, 0, first).data),
    seconds,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await trainDigits();
  console.log(`train / validation / test: ${r.sizes.join(' / ')} images`);
  for (const [epoch, h] of r.history.entries())
    console.log(
      `epoch ${String(epoch + 1).padStart(2)}  loss ${h.loss.toFixed(4)}  accuracy ${(h.accuracy * 100).toFixed(1)}%  ` +
        `valLoss ${h.valLoss.toFixed(4)}  valAccuracy ${(h.valAccuracy * 100).toFixed(1)}%`,
    );
  if (r.stopReason !== null) console.log(`stopped early: ${r.stopReason}`);
  console.log(`test: loss ${r.test.loss.toFixed(4)}, accuracy ${(r.test.accuracy * 100).toFixed(2)}%`);
  console.log(`predicted ${r.predicted.join(' ')}\nactual    ${r.actual.join(' ')}`);
  console.log(`${r.seconds.toFixed(1)} s`);
}
