import type { UpdateCase } from './cases-optim';

/** The kernel cases of Adamax and NAdam's fused steps (see cases-optim.ts). */
export function adamaxNadamCases(): UpdateCase[] {
  return [];
}
