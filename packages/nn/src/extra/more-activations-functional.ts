// Barrel of the more-activations area (functional forms, part of `F`): filled by its implementation files.
export {
  hardshrink,
  rrelu,
  softmin,
  softshrink,
  softsign,
  tanhshrink,
  threshold,
} from './more-act-functional';
