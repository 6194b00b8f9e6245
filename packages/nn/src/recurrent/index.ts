export type { LSTMState } from './cell-functions';
export { GRUCell, LSTMCell, RNNCell, RNNCellBase, type RNNCellBaseOptions, type RNNCellOptions } from './cells';
export {
  PackedSequence,
  type PackPaddedSequenceOptions,
  type PaddedSequence,
  type PadPackedSequenceOptions,
  type PadSequenceOptions,
  packPaddedSequence,
  packSequence,
  padPackedSequence,
  padSequence,
} from './packed-sequence';
export {
  GRU,
  type GRUOptions,
  LSTM,
  type LSTMOptions,
  type LSTMOutput,
  RNN,
  type RNNOptions,
  type RNNOutput,
} from './rnn';
export { RNNBase, type RNNBaseOptions, type RNNMode, type RNNRunResult } from './rnn-base';
