import { safeHypot } from './householder';

// Largest number of implicit QL sweeps spent on one eigenvalue before giving up. The shifted QL
// iteration converges cubically; in practice fewer than three sweeps per eigenvalue are needed.
const MAX_SWEEPS_PER_EIGENVALUE = 60;

// Half the distance from 1 to the next double: the unit roundoff of float64.
const UNIT_ROUNDOFF = Number.EPSILON / 2;

/**
 * Diagonalize the symmetric tridiagonal matrix (`d`, `e`) in place with implicit QL sweeps and
 * Wilkinson shifts; each plane rotation (i, i+1) is also applied to columns `i`, `i+1` of `z`
 * (row-major, the eigenvector matrix). `e[i]` couples `i` and `i+1`. On return `d` holds the
 * eigenvalues (unsorted).
 */
export function tridiagonalQL(d: Float64Array, e: Float64Array, n: number, z: Float64Array | null): void {
  for (let l = 0; l < n; l++) {
    let sweeps = 0;
    for (;;) {
      // The first negligible off-diagonal at or after l ends the unreduced block [l, m].
      let m = l;
      while (m < n - 1) {
        const size = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= UNIT_ROUNDOFF * size) break;
        m++;
      }
      if (m === l) break;
      if (++sweeps > MAX_SWEEPS_PER_EIGENVALUE) {
        // NOTE: not seen in practice with finite input; better NaN than a silent wrong answer.
        d.fill(Number.NaN);
        z?.fill(Number.NaN);
        return;
      }
      // Shift: the eigenvalue of the leading 2x2 block [d_l, e_l; e_l, d_{l+1}] nearer to d_l.
      const theta = (d[l + 1] - d[l]) / (2 * e[l]);
      const root = safeHypot(theta, 1);
      let g = d[m] - d[l] + e[l] / (theta + (theta >= 0 ? root : -root));
      let s = 1;
      let c = 1;
      let p = 0;
      let collapsed = false;
      // Chase the bulge from the bottom of the block up to l with rotations in planes (i, i+1).
      for (let i = m - 1; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        const r = safeHypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // The rotation is the identity: the block splits at i+1; restart on the smaller block.
          d[i + 1] -= p;
          e[m] = 0;
          collapsed = true;
          break;
        }
        s = f / r;
        c = g / r;
        const h = d[i + 1] - p;
        const q = (d[i] - h) * s + 2 * c * b;
        p = s * q;
        d[i + 1] = h + p;
        g = c * q - b;
        if (z !== null) {
          // Columns i and i+1 of z become c·z_i - s·z_{i+1} and s·z_i + c·z_{i+1}.
          for (let k = 0; k < n; k++) {
            const x = z[k * n + i];
            const y = z[k * n + i + 1];
            z[k * n + i] = c * x - s * y;
            z[k * n + i + 1] = s * x + c * y;
          }
        }
      }
      if (collapsed) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}
