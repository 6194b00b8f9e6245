// The Transformer layers, like torch.nn.Transformer*'s (PyTorch 1.13), by file: transformer-encoder.ts
// (TransformerEncoderLayer, TransformerEncoder), transformer-decoder.ts (TransformerDecoderLayer,
// TransformerDecoder), transformer-model.ts (Transformer, the two stacks together) and transformer-common.ts
// (the layer and stack options, and what the layers share).
export type {
  TransformerActivation,
  TransformerLayerOptions,
  TransformerStackOptions,
} from './transformer-common';
export {
  TransformerDecoder,
  TransformerDecoderLayer,
  type TransformerDecoderLayerForwardOptions,
} from './transformer-decoder';
export {
  TransformerEncoder,
  type TransformerEncoderForwardOptions,
  TransformerEncoderLayer,
  type TransformerEncoderLayerForwardOptions,
  type TransformerEncoderOptions,
} from './transformer-encoder';
export { Transformer, type TransformerForwardOptions, type TransformerOptions } from './transformer-model';
