import type { UpdateCase } from './cases-optim';

/** The kernel cases of RAdam and Adadelta's fused steps (see cases-optim.ts). */
export function radamAdadeltaCases(): UpdateCase[] {
  return [];
}
