// A character-level GPT on tiny Shakespeare, end to end: the bundled text, random windows, a 4-layer
// transformer trained with AdamW (nanoGPT's shakespeare_char CPU settings), train / validation loss, samples.
//
//   npx tsx main.ts [--minutes 10] [--max-iters 2000] [--batch-size 12] [--backend wasm] ...
import { Generator, getBackend, initWasmBackend, noGrad, setBackend, setNumThreads, tidy } from '@nablajs/core';
import { enableNodeThreads } from '@nablajs/core/node';
import { type CharVocab, sampleWindows } from '@nablajs/data';
import { loadTinyShakespeare } from '@nablajs/data/node';
import { clipGradNorm } from '@nablajs/optim';
import { adamw } from '@nablajs/optim-adam';
import { GPT } from './model';

/** Options of {@link trainCharGpt}; the defaults are nanoGPT's `shakespeare_char` CPU run. */
export interface CharGptOptions {
  /** Transformer blocks (default 4). */
  nLayer?: number;
  /** Attention heads (default 4). */
  nHead?: number;
  /** Width (default 128). */
  nEmbd?: number;
  /** Context length T (default 64). */
  blockSize?: number;
  /** Windows per batch B (default 12). */
  batchSize?: number;
  /** Dropout probability (default 0). */
  dropout?: number;
  /** Tie the head to the token embedding (default true). */
  tieWeights?: boolean;
  /** Peak learning rate (default 1e-3). */
  lr?: number;
  /** Final learning rate of the cosine decay (default lr / 10). */
  minLr?: number;
  /** Linear warm-up steps (default 100). */
  warmupIters?: number;
  /** Training steps at most (default 2000); the cosine decay reaches `minLr` here. */
  maxIters?: number;
  /** AdamW's decoupled weight decay for the matrices (default 0.1; 0 for the LayerNorm weights and biases). */
  weightDecay?: number;
  /** AdamW's betas (default [0.9, 0.99]). */
  betas?: [number, number];
  /** Clip the global gradient norm to this (default 1; 0 turns clipping off). */
  gradClip?: number;
  /** Estimate the train and validation losses every this many steps (default 250), and at the end. */
  evalInterval?: number;
  /** Batches per loss estimate (default 20, the same batches at every estimate). */
  evalBatches?: number;
  /** Stop after this many minutes of training (default 10), if `maxIters` was not reached first. */
  minutes?: number;
  /**
   * End the cosine decay when the time budget ends, if that comes before `maxIters` (default true): the
   * decay follows the larger of the fraction of the steps and the fraction of the time used. With false,
   * it follows the steps only, as nanoGPT (a run stopped by the clock then ends at a high rate).
   */
  decayByTime?: boolean;
  /** Seed of the weights, the batches and the samples (default 1337). */
  seed?: number;
  /** 'wasm' (default) or 'cpu'. */
  backend?: 'wasm' | 'cpu';
  /** wasm threads (default 1). */
  threads?: number;
  /** Characters to sample after training (default 500). */
  sampleLength?: number;
  /** Sampling temperature (default 0.8). */
  temperature?: number;
  /** Sample among the k most likely characters (default 200, i.e. all 65). */
  topK?: number | null;
  /** The first characters of the sample (default "\n"). */
  prompt?: string;
  /** Where progress lines go (default: nowhere). */
  log?: (line: string) => void;
}

/** One loss estimate. */
export interface Evaluation {
  /** The number of training steps done. */
  step: number;
  /** Mean loss (nats per character) over `evalBatches` training batches. */
  trainLoss: number;
  /** Mean loss over `evalBatches` validation batches. */
  valLoss: number;
  /** Seconds of training so far. */
  seconds: number;
}

/** What {@link trainCharGpt} returns. */
export interface CharGptResult {
  /** The trained model. */
  model: GPT;
  /** The vocabulary of the text. */
  vocab: CharVocab;
  /** The loss estimates, at step 0, every `evalInterval` steps and at the end. */
  history: Evaluation[];
  /** The training loss of each step. */
  stepLosses: number[];
  /** The number of training steps done. */
  steps: number;
  /** Why training stopped. */
  stopReason: 'maxIters' | 'time';
  /** Seconds of training (evaluation included), and steps per second of it. */
  seconds: number;
  stepsPerSecond: number;
  /** The number of parameters. */
  numParameters: number;
  /** The sample: the prompt's continuation, `sampleLength` characters. */
  sample: string;
  /** The backend used. */
  backend: string;
}

/**
 * The learning rate of step `it`: linear warm-up, then cosine decay to `minLr` at `decayIters` (nanoGPT's
 * get_lr). With `timeFraction` (the part of the time budget used, default 0), the decay goes as far as the
 * larger of the step fraction and the time fraction, so that it ends when the time budget ends even if
 * that comes before `decayIters`.
 */
export function learningRate(
  it: number,
  lr: number,
  minLr: number,
  warmupIters: number,
  decayIters: number,
  timeFraction = 0,
): number {
  if (it < warmupIters) return (lr * (it + 1)) / (warmupIters + 1);
  if (it > decayIters) return minLr;
  const ratio = Math.min(1, Math.max((it - warmupIters) / Math.max(1, decayIters - warmupIters), timeFraction));
  return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (lr - minLr);
}

/** Train a character GPT on tiny Shakespeare and sample from it. */
export async function trainCharGpt(options: CharGptOptions = {}): Promise<CharGptResult> {
  const {
    nLayer = 4,
    nHead = 4,
    nEmbd = 128,
    blockSize = 64,
    batchSize = 12,
    dropout = 0,
    tieWeights = true,
    lr = 1e-3,
    minLr = lr / 10,
    warmupIters = 100,
    maxIters = 2000,
    weightDecay = 0.1,
    betas = [0.9, 0.99],
    gradClip = 1,
    evalInterval = 250,
    evalBatches = 20,
    minutes = 10,
    decayByTime = true,
    seed = 1337,
    backend = 'wasm',
    threads = 1,
    sampleLength = 500,
    temperature = 0.8,
    topK = 200,
    prompt = '\n',
    log = () => {},
  } = options;
  const previousBackend = getBackend();
  if (backend === 'wasm') {
    await initWasmBackend();
    if (threads > 1) enableNodeThreads();
    await setNumThreads(threads);
  }
  setBackend(backend);
  try {
    const { vocab, train, val } = await loadTinyShakespeare();
    const model = new GPT({
      vocabSize: vocab.size,
      blockSize,
      nLayer,
      nHead,
      nEmbd,
      dropout,
      tieWeights,
      generator: new Generator(seed),
    });
    const numParameters = model.numParameters();
    log(
      `${numParameters} parameters; vocabulary of ${vocab.size}; ${train.length} train / ${val.length} val characters`,
    );
    // nanoGPT's groups: weight decay on the matrices (2-D: Linear and Embedding weights), none on the rest.
    const params = model.parameters();
    const opt = adamw(
      [
        { params: params.filter((p) => p.ndim >= 2), weightDecay },
        { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
      ],
      { lr, betas },
    );
    const batches = new Generator(seed + 1);
    const estimate = (tokens: Int32Array) => {
      const generator = new Generator(seed + 2); // the same batches at every estimate
      model.eval();
      let total = 0;
      noGrad(() => {
        for (let i = 0; i < evalBatches; i++)
          total += tidy(() => {
            const { x, y } = sampleWindows(tokens, { batchSize, contextLength: blockSize, generator });
            return model.loss(x, y).item();
          });
      });
      model.train();
      return total / evalBatches;
    };
    const history: Evaluation[] = [];
    const stepLosses: number[] = [];
    const start = performance.now();
    const elapsed = () => (performance.now() - start) / 1000;
    const evaluate = (step: number) => {
      const e = { step, trainLoss: estimate(train), valLoss: estimate(val), seconds: elapsed() };
      history.push(e);
      log(
        `step ${String(step).padStart(5)}: train loss ${e.trainLoss.toFixed(4)}, val loss ${e.valLoss.toFixed(4)} ` +
          `(${e.seconds.toFixed(1)} s, ${(step / Math.max(e.seconds, 1e-9)).toFixed(2)} steps/s)`,
      );
    };
    evaluate(0);
    let step = 0;
    let stopReason: 'maxIters' | 'time' = 'maxIters';
    while (step < maxIters) {
      if (elapsed() >= minutes * 60) {
        stopReason = 'time';
        break;
      }
      const timeFraction = decayByTime ? elapsed() / (minutes * 60) : 0;
      const rate = learningRate(step, lr, minLr, warmupIters, maxIters, timeFraction);
      for (const group of opt.paramGroups) group.lr = rate;
      const loss = tidy(() => {
        const { x, y } = sampleWindows(train, { batchSize, contextLength: blockSize, generator: batches });
        opt.zeroGrad();
        const l = model.loss(x, y);
        l.backward();
        if (gradClip > 0) clipGradNorm(params, gradClip);
        opt.step();
        return l.item();
      });
      stepLosses.push(loss);
      step++;
      if (step % evalInterval === 0 && step < maxIters) evaluate(step);
    }
    evaluate(step);
    const seconds = elapsed();
    const continuation = model.generate(vocab.encode(prompt), sampleLength, {
      temperature,
      topK,
      generator: new Generator(seed + 3),
    });
    return {
      model,
      vocab,
      history,
      stepLosses,
      steps: step,
      stopReason,
      seconds,
      stepsPerSecond: step / seconds,
      numParameters,
      sample: vocab.decode(continuation),
      backend,
    };
  } finally {
    setBackend(previousBackend);
    if (backend === 'wasm' && threads > 1) await setNumThreads(1);
  }
}

/** `--name value` pairs of the command line, as numbers where they look like numbers. */
function parseArgs(argv: string[]): CharGptOptions {
  const names: Record<string, keyof CharGptOptions> = {
    minutes: 'minutes',
    'max-iters': 'maxIters',
    'batch-size': 'batchSize',
    'block-size': 'blockSize',
    'n-layer': 'nLayer',
    'n-head': 'nHead',
    'n-embd': 'nEmbd',
    dropout: 'dropout',
    lr: 'lr',
    'warmup-iters': 'warmupIters',
    'eval-interval': 'evalInterval',
    'eval-batches': 'evalBatches',
    seed: 'seed',
    backend: 'backend',
    threads: 'threads',
    'sample-length': 'sampleLength',
    temperature: 'temperature',
    'top-k': 'topK',
    prompt: 'prompt',
    'tie-weights': 'tieWeights',
    'decay-by-time': 'decayByTime',
  };
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i].replace(/^--/, '');
    const key = names[flag];
    if (key === undefined || i + 1 >= argv.length)
      throw new Error(
        `unknown or incomplete option ${argv[i]}; options: ${Object.keys(names)
          .map((n) => `--${n}`)
          .join(' ')}`,
      );
    const raw = argv[i + 1];
    out[key] =
      key === 'backend' || key === 'prompt'
        ? raw
        : key === 'tieWeights' || key === 'decayByTime'
          ? raw !== 'false'
          : Number(raw);
  }
  return out as CharGptOptions;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = parseArgs(process.argv.slice(2));
  const r = await trainCharGpt({ ...options, log: (line) => console.log(line) });
  const last = r.history[r.history.length - 1];
  console.log(
    `stopped (${r.stopReason}) after ${r.steps} steps, ${r.seconds.toFixed(1)} s, ${r.stepsPerSecond.toFixed(2)} steps/s, ` +
      `backend ${r.backend}: val loss ${last.valLoss.toFixed(4)} nats/char`,
  );
  console.log(`--- sample (${r.sample.length} characters) ---\n${r.sample}`);
}
