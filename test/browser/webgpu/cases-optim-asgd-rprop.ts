import type { UpdateCase } from './cases-optim';

/** The kernel cases of ASGD and Rprop's fused steps (see cases-optim.ts). */
export function asgdRpropCases(): UpdateCase[] {
  return [];
}
