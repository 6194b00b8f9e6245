import { logSoftmax, relu, softmax, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import * as F from './index';

describe('the functional namespace F', () => {
  it('holds the functional forms of layers and losses and re-exports core activations', () => {
    expect(Object.keys(F).sort()).toEqual(
      [
        'avgPool2d',
        'batchNorm',
        'binaryCrossEntropy',
        'binaryCrossEntropyWithLogits',
        'conv2d',
        'cosineEmbeddingLoss',
        'crossEntropy',
        'dropout',
        'elu',
        'embedding',
        'gelu',
        'hingeEmbeddingLoss',
        'huberLoss',
        'klDiv',
        'l1Loss',
        'layerNorm',
        'leakyRelu',
        'linear',
        'logSigmoid',
        'logSoftmax',
        'marginRankingLoss',
        'maxPool2d',
        'mseLoss',
        'nllLoss',
        'relu',
        'sigmoid',
        'silu',
        'smoothL1Loss',
        'softmax',
        'softplus',
        'tanh',
        'adaptiveAvgPool1d',
        'adaptiveMaxPool2d',
        'adaptiveMaxPool2dWithIndices',
        'avgPool1d',
        'celu',
        'convTranspose1d',
        'convTranspose2d',
        'gaussianNllLoss',
        'glu',
        'groupNorm',
        'gruCell',
        'hardsigmoid',
        'hardswish',
        'hardtanh',
        'instanceNorm',
        'interpolate',
        'lstmCell',
        'maxPool1d',
        'maxPool1dWithIndices',
        'maxPool2dWithIndices',
        'maxUnpool2d',
        'mish',
        'multiMarginLoss',
        'multilabelSoftMarginLoss',
        'pad',
        'poissonNllLoss',
        'prelu',
        'relu6',
        'rmsNorm',
        'rnnReluCell',
        'rnnTanhCell',
        'scaledDotProductAttention',
        'scaledDotProductAttentionWeights',
        'selu',
        'softMarginLoss',
        'tripletMarginLoss',
      ].sort(),
    );
    for (const value of Object.values(F)) expect(typeof value).toBe('function');
    expect(F.relu).toBe(relu);
    expect(F.softmax).toBe(softmax);
    expect(F.logSoftmax).toBe(logSoftmax);
    expect(F.mseLoss(tensor([1, 3]), tensor([1, 1])).item()).toBe(2);
  });
});
