// nanoGPT's character-level model, as the tiny-shakespeare task trains it.
import { type Generator, scaledDotProductAttention, Tensor } from '@nablajs/core';
import { Embedding, F, GELU, init, LayerNorm, Linear, Module, ModuleList } from '@nablajs/nn';

/** A pre-norm transformer block without biases: causal self-attention, then a 4x GELU MLP (nanoGPT's Block). */
class CharGptBlock extends Module {
  readonly ln1: LayerNorm;
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly ln2: LayerNorm;
  readonly fc: Linear;
  readonly gelu = new GELU();
  readonly out: Linear;

  constructor(
    readonly width: number,
    readonly heads: number,
    generator: Generator,
    depth: number,
  ) {
    super();
    const linear = (i: number, o: number, std: number) => {
      const l = new Linear(i, o, { bias: false });
      init.normal(l.weight, 0, std, { generator });
      return l;
    };
    const residual = 0.02 / Math.sqrt(2 * depth);
    this.ln1 = this.registerModule('ln_1', new LayerNorm(width, { bias: false }));
    this.qkv = this.registerModule('c_attn', linear(width, 3 * width, 0.02));
    this.proj = this.registerModule('c_proj', linear(width, width, residual));
    this.ln2 = this.registerModule('ln_2', new LayerNorm(width, { bias: false }));
    this.fc = this.registerModule('c_fc', linear(width, 4 * width, 0.02));
    this.registerModule('gelu', this.gelu);
    this.out = this.registerModule('mlp_proj', linear(4 * width, width, residual));
  }

  forward(x: Tensor): Tensor {
    const [b, t, c] = x.shape;
    const [q, k, v] = this.qkv
      .forward(this.ln1.forward(x))
      .split(c, 2)
      .map((z) => z.reshape([b, t, this.heads, c / this.heads]).transpose(1, 2));
    const attended = scaledDotProductAttention(q, k, v, { isCausal: true }).transpose(1, 2).reshape([b, t, c]);
    const h = x.add(this.proj.forward(attended));
    return h.add(this.out.forward(this.gelu.forward(this.fc.forward(this.ln2.forward(h)))));
  }
}

/**
 * A character-level GPT (nanoGPT's model, no biases, no dropout): token and position embeddings, pre-norm
 * blocks, a final LayerNorm and a head tied to the token embedding; weights from N(0, 0.02), the residual
 * projections from N(0, 0.02 / sqrt(2 · depth)). Maps int32 ids `[B, T]` to logits `[B, vocab, T]`, the class
 * axis second as PyTorch's cross-entropy over sequences wants, so that the runner's loss and accuracy apply.
 */
export class CharGpt extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly blocks: ModuleList;
  readonly lnF: LayerNorm;

  constructor(vocab: number, context: number, width: number, depth: number, heads: number, generator: Generator) {
    super();
    this.wte = this.registerModule('wte', new Embedding(vocab, width, { generator }));
    this.wpe = this.registerModule('wpe', new Embedding(context, width, { generator }));
    init.normal(this.wte.weight, 0, 0.02, { generator });
    init.normal(this.wpe.weight, 0, 0.02, { generator });
    const blocks = Array.from({ length: depth }, () => new CharGptBlock(width, heads, generator, depth));
    this.blocks = this.registerModule('h', new ModuleList(blocks));
    this.lnF = this.registerModule('ln_f', new LayerNorm(width, { bias: false }));
  }

  forward(idx: Tensor): Tensor {
    const t = idx.shape[1];
    const pos = new Tensor(
      Int32Array.from({ length: t }, (_, i) => i),
      [t],
      'int32',
    );
    let x = this.wte.forward(idx).add(this.wpe.forward(pos));
    for (const block of this.blocks) x = (block as CharGptBlock).forward(x);
    return F.linear(this.lnF.forward(x), this.wte.weight).transpose(1, 2);
  }
}
