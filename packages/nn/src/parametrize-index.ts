// The `parametrize` namespace of `@nablajs/nn`, like torch.nn.utils.parametrize (parametrize.ts has the code).

export { ParametrizationList } from './parametrization-list';
export {
  cached,
  isParametrized,
  type Parametrization,
  parametrizationsOf,
  type RegisterParametrizationOptions,
  type RemoveParametrizationsOptions,
  registerParametrization,
  removeParametrizations,
} from './parametrize';
