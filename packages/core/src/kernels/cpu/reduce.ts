// The cpu backend's reductions, gathered from the files that hold them by family:
//   reduce-layout.ts     the `outer x n x inner` layout of a reduction and its row-by-row walk
//   reduce-generic.ts    the generic reduction every kernel below builds on
//   reduce-sum-prod.ts   sum, mean, prod and the products `prod`'s gradients need
//   reduce-max-min.ts    max, min, their tie weights, argmax / argmin and picking along an axis
//   reduce-var-norm.ts   variance (and std) and the vector p-norms
//   reduce-logsumexp.ts  logsumexp

export { type ReduceKind, reduceKernel } from './reduce-generic';
export { axisLayout, forEachReduceRow, type ReduceLayout, reduceLayout } from './reduce-layout';
export { logsumexpKernel } from './reduce-logsumexp';
export {
  argReduceKernel,
  maxKernel,
  minKernel,
  pickAlongAxisKernel,
  placeAlongAxisKernel,
  tieWeightsKernel,
} from './reduce-max-min';
export { meanKernel, prodKernel, prodOthersKernel, prodOthersVjpKernel, sumKernel } from './reduce-sum-prod';
export { normKernel, varianceKernel } from './reduce-var-norm';
