/**
 * `start + weight·(end - start)`, evaluated as PyTorch's `torch.lerp` does on the CPU (from the nearer
 * end: `end - (end - start)·(1 - weight)` when `|weight| ≥ 0.5`), so that the momentum and moment
 * updates round as the references' `lerp_` calls do.
 */
export function lerp(start: number, end: number, weight: number): number {
  return Math.abs(weight) < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight);
}
