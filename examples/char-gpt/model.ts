// A GPT-style character model built from nabla layers, after nanoGPT's model.py: token and position
// embeddings, pre-norm blocks (causal self-attention, then a 4x-wide GELU MLP), a final LayerNorm and a
// language-model head, optionally tied to the token embedding; nanoGPT's initialisation.
import { type Generator, noGrad, scaledDotProductAttention, Tensor, tidy, ValueError } from '@nablajs/core';
import { crossEntropy, Dropout, Embedding, F, GELU, init, LayerNorm, Linear, Module, ModuleList } from '@nablajs/nn';

/** The sizes and switches of a {@link GPT}. */
export interface GPTConfig {
  /** The number of token ids (the vocabulary size). */
  vocabSize: number;
  /** The longest context (the number of position embeddings). */
  blockSize: number;
  /** The number of transformer blocks (default 4). */
  nLayer?: number;
  /** The number of attention heads (default 4); it must divide `nEmbd`. */
  nHead?: number;
  /** The width of the residual stream (default 128). */
  nEmbd?: number;
  /** The dropout probability after the embeddings, in attention and after each residual branch (default 0). */
  dropout?: number;
  /** Biases in the Linear and LayerNorm layers (default false, as nanoGPT's train.py). */
  bias?: boolean;
  /** Share the token embedding's table with the head (default true, as nanoGPT). */
  tieWeights?: boolean;
  /** The generator of the initial weights and of dropout (default: core's global generator). */
  generator?: Generator;
}

/** Multi-head causal self-attention: one Linear for q, k and v, the fused causal attention, an output projection. */
class CausalSelfAttention extends Module {
  readonly cAttn: Linear;
  readonly cProj: Linear;
  readonly residDropout: Dropout;

  constructor(
    readonly nEmbd: number,
    readonly nHead: number,
    readonly dropoutP: number,
    bias: boolean,
    readonly generator?: Generator,
  ) {
    super();
    this.cAttn = this.registerModule('c_attn', new Linear(nEmbd, 3 * nEmbd, { bias }));
    this.cProj = this.registerModule('c_proj', new Linear(nEmbd, nEmbd, { bias }));
    this.residDropout = this.registerModule('resid_dropout', new Dropout(dropoutP, { generator }));
  }

  forward(x: Tensor): Tensor {
    const [b, t, c] = x.shape;
    const hs = c / this.nHead;
    // [B, T, 3C] -> three [B, nh, T, hs]
    const heads = this.cAttn
      .forward(x)
      .split(c, 2)
      .map((z) => z.reshape([b, t, this.nHead, hs]).transpose(1, 2));
    const y = scaledDotProductAttention(heads[0], heads[1], heads[2], {
      isCausal: true,
      dropoutP: this.training ? this.dropoutP : 0,
      generator: this.generator,
    });
    return this.residDropout.forward(this.cProj.forward(y.transpose(1, 2).reshape([b, t, c])));
  }
}

/** The MLP of a block: `C -> 4C`, GELU (exact), `4C -> C`, dropout. */
class MLP extends Module {
  readonly cFc: Linear;
  readonly gelu = new GELU();
  readonly cProj: Linear;
  readonly dropout: Dropout;

  constructor(nEmbd: number, dropoutP: number, bias: boolean, generator?: Generator) {
    super();
    this.cFc = this.registerModule('c_fc', new Linear(nEmbd, 4 * nEmbd, { bias }));
    this.registerModule('gelu', this.gelu);
    this.cProj = this.registerModule('c_proj', new Linear(4 * nEmbd, nEmbd, { bias }));
    this.dropout = this.registerModule('dropout', new Dropout(dropoutP, { generator }));
  }

  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.cProj.forward(this.gelu.forward(this.cFc.forward(x))));
  }
}

/** A pre-norm transformer block: `x + attn(ln1(x))`, then `x + mlp(ln2(x))`. */
class Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln2: LayerNorm;
  readonly mlp: MLP;

  constructor(nEmbd: number, nHead: number, dropoutP: number, bias: boolean, generator?: Generator) {
    super();
    this.ln1 = this.registerModule('ln_1', new LayerNorm(nEmbd, { bias }));
    this.attn = this.registerModule('attn', new CausalSelfAttention(nEmbd, nHead, dropoutP, bias, generator));
    this.ln2 = this.registerModule('ln_2', new LayerNorm(nEmbd, { bias }));
    this.mlp = this.registerModule('mlp', new MLP(nEmbd, dropoutP, bias, generator));
  }

  forward(x: Tensor): Tensor {
    const h = x.add(this.attn.forward(this.ln1.forward(x)));
    return h.add(this.mlp.forward(this.ln2.forward(h)));
  }
}

/** Options of {@link GPT.generate}. */
export interface GenerateOptions {
  /** Divide the logits by this before the softmax (default 1; lower is more conservative). */
  temperature?: number;
  /** Sample only among the `topK` most likely ids (default: all). */
  topK?: number | null;
  /** The generator of the samples. */
  generator: Generator;
}

/**
 * A decoder-only transformer over token ids (nanoGPT's GPT). State-dict names follow nanoGPT's
 * (`transformer.wte.weight`, `transformer.h.0.attn.c_attn.weight`, `lm_head.weight`, ...), except that
 * a tied head has no `lm_head.weight` of its own.
 */
export class GPT extends Module {
  readonly config: Required<Omit<GPTConfig, 'generator'>>;
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly drop: Dropout;
  readonly h: ModuleList;
  readonly lnF: LayerNorm;
  /** The head, or null when tied to the token embedding (the logits are then `x · wteᵀ`). */
  readonly lmHead: Linear | null;

  constructor(config: GPTConfig) {
    super();
    const {
      vocabSize,
      blockSize,
      nLayer = 4,
      nHead = 4,
      nEmbd = 128,
      dropout = 0,
      bias = false,
      tieWeights = true,
      generator,
    } = config;
    for (const [name, v] of Object.entries({ vocabSize, blockSize, nLayer, nHead, nEmbd }))
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`GPT: ${name} must be an integer >= 1, got ${v}`);
    if (nEmbd % nHead !== 0) throw new ValueError(`GPT: nHead ${nHead} must divide nEmbd ${nEmbd}`);
    this.config = { vocabSize, blockSize, nLayer, nHead, nEmbd, dropout, bias, tieWeights };
    this.wte = this.registerModule('wte', new Embedding(vocabSize, nEmbd));
    this.wpe = this.registerModule('wpe', new Embedding(blockSize, nEmbd));
    this.drop = this.registerModule('drop', new Dropout(dropout, { generator }));
    const blocks = Array.from({ length: nLayer }, () => new Block(nEmbd, nHead, dropout, bias, generator));
    this.h = this.registerModule('h', new ModuleList(blocks));
    this.lnF = this.registerModule('ln_f', new LayerNorm(nEmbd, { bias }));
    this.lmHead = tieWeights ? null : this.registerModule('lm_head', new Linear(nEmbd, vocabSize, { bias: false }));

    // nanoGPT's init: every Linear and Embedding weight ~ N(0, 0.02), biases 0; then the projections
    // into the residual stream (attn.c_proj, mlp.c_proj) ~ N(0, 0.02 / sqrt(2 nLayer)).
    const g = { generator };
    for (const m of this.modules()) {
      if (m instanceof Linear || m instanceof Embedding) init.normal(m.weight, 0, 0.02, g);
      if (m instanceof Linear && m.bias !== null) init.zeros(m.bias);
    }
    for (const [name, p] of this.namedParameters())
      if (name.endsWith('c_proj.weight')) init.normal(p, 0, 0.02 / Math.sqrt(2 * nLayer), g);
  }

  /** The logits `[B, T, vocabSize]` of the next id after each prefix of `idx` (int32 `[B, T]`, T <= blockSize). */
  forward(idx: Tensor): Tensor {
    if (idx.dtype !== 'int32' || idx.ndim !== 2)
      throw new ValueError(`GPT: idx must be an int32 [B, T] tensor, got ${idx.dtype} [${idx.shape.join(',')}]`);
    const t = idx.shape[1];
    if (t > this.config.blockSize)
      throw new ValueError(`GPT: a sequence of length ${t} is longer than blockSize ${this.config.blockSize}`);
    const pos = new Tensor(
      Int32Array.from({ length: t }, (_, i) => i),
      [t],
      'int32',
    );
    let x = this.drop.forward(this.wte.forward(idx).add(this.wpe.forward(pos)));
    for (const block of this.h) x = (block as Block).forward(x);
    x = this.lnF.forward(x);
    return this.lmHead === null ? F.linear(x, this.wte.weight) : this.lmHead.forward(x);
  }

  /** The mean cross-entropy (nats per token) of predicting `targets` (int32 `[B, T]`) from `idx`. */
  loss(idx: Tensor, targets: Tensor): Tensor {
    const logits = this.forward(idx);
    const [b, t, v] = logits.shape;
    return crossEntropy(logits.reshape([b * t, v]), targets.reshape([b * t]));
  }

  /** The number of parameters, counting a tied table once (nanoGPT reports it without the position table too). */
  numParameters(): number {
    let n = 0;
    for (const p of this.parameters()) n += p.size;
    return n;
  }

  /**
   * Continue `prompt` (ids) by `maxNewTokens` ids, sampling each from the softmax of the last logits
   * divided by `temperature`, restricted to the `topK` largest, the context cropped to the last
   * `blockSize` ids (nanoGPT's `generate`). Runs in eval mode without gradients; returns only the new ids.
   */
  generate(prompt: Int32Array, maxNewTokens: number, options: GenerateOptions): Int32Array {
    const { temperature = 1, topK = null, generator } = options;
    if (!(temperature > 0)) throw new ValueError(`GPT.generate: temperature must be > 0, got ${temperature}`);
    if (prompt.length === 0) throw new ValueError('GPT.generate: the prompt must hold at least one id');
    const { vocabSize, blockSize } = this.config;
    const k = topK === null ? vocabSize : Math.min(Math.max(1, Math.floor(topK)), vocabSize);
    const wasTraining = this.training;
    this.eval();
    const ids = Array.from(prompt);
    const out = new Int32Array(maxNewTokens);
    const probs = new Float64Array(vocabSize);
    try {
      noGrad(() => {
        for (let n = 0; n < maxNewTokens; n++) {
          const context = ids.slice(-blockSize);
          const last = tidy(() => {
            const logits = this.forward(new Tensor(Int32Array.from(context), [1, context.length], 'int32'));
            return Float64Array.from(logits.values.subarray((context.length - 1) * vocabSize));
          });
          // keep the k largest logits (ties at the threshold kept), softmax over them
          const threshold = k < vocabSize ? Float64Array.from(last).sort()[vocabSize - k] : -Infinity;
          let max = -Infinity;
          for (let i = 0; i < vocabSize; i++) if (last[i] >= threshold && last[i] > max) max = last[i];
          let total = 0;
          for (let i = 0; i < vocabSize; i++) {
            probs[i] = last[i] >= threshold ? Math.exp((last[i] - max) / temperature) : 0;
            total += probs[i];
          }
          let u = generator.uniform() * total;
          let next = vocabSize - 1;
          for (let i = 0; i < vocabSize; i++) {
            u -= probs[i];
            if (u < 0 && probs[i] > 0) {
              next = i;
              break;
            }
          }
          while (probs[next] === 0) next--; // rounding at the very end
          ids.push(next);
          out[n] = next;
        }
      });
    } finally {
      this.train(wasTraining);
    }
    return out;
  }
}
