// WGSL functions the elementwise kernels share, written for float32: NaN tests by bits, a stable
// sigmoid and tanh, expm1 and log1p without cancellation, pow with the sign rules of Math.pow for
// integer exponents and C's special cases (1^y = 1, (-1)^(+-inf) = 1), and erfc from W. J. Cody's
// rational approximations (the coefficients of the cpu kernel's erf.ts, evaluated in float32).

/** The WGSL source of the shared math functions. */
export const WGSL_MATH = /* wgsl */ `
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// NOTE: a NaN or an infinity may not be a constant expression in WGSL; bitcasting a private variable
// makes them at run time.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan_f() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf_f() -> f32 { return bitcast<f32>(INF_BITS); }

fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

// NOTE: tanh(x) is 1 in float32 beyond |x| = 9.01; clamping keeps an exp-based builtin from overflowing.
fn tanh_f(x: f32) -> f32 { return tanh(clamp(x, -10.0, 10.0)); }

// NOTE: exp(x) - 1 and log(1 + x) lose the digits of a small x (and WGSL's log near 1 is only accurate
// to an absolute 2^-21), so |x| <= 0.5 uses series: the Taylor series of expm1, and for log1p
// 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + ...) with s = x / (2 + x), |s| <= 1/3.
fn expm1_f(x: f32) -> f32 {
  if (abs(x) > 0.5) { return exp(x) - 1.0; }
  var term = x;
  var sum = x;
  for (var k = 2.0; k <= 10.0; k = k + 1.0) {
    term = term * x / k;
    sum = sum + term;
  }
  return sum;
}

fn log1p_f(x: f32) -> f32 {
  if (abs(x) > 0.5) { return log(1.0 + x); }
  let s = x / (2.0 + x);
  let s2 = s * s;
  var power = s;
  var sum = s;
  for (var k = 3.0; k <= 21.0; k = k + 2.0) {
    power = power * s2;
    sum = sum + power / k;
  }
  return 2.0 * sum;
}

// NOTE: WGSL's sin and cos may be off by an absolute 2^-11 (SwiftShader's are by about 2e-4), so they are
// computed here: x reduced by k·π/2 in three parts (Cody and Waite; the first parts have few bits, so
// k times them is exact), then Taylor polynomials on [-π/4, π/4], the quadrant picked from k.
fn reduce_half_pi(x: f32) -> vec2f {
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703e-4) - k * 7.549789954891882e-8;
  return vec2f(r, k);
}
fn sin_poly(r: f32) -> f32 {
  let r2 = r * r;
  return r + r * r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0 + r2 * (-1.0 / 39916800.0)))));
}
fn cos_poly(r: f32) -> f32 {
  let r2 = r * r;
  return 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0 + r2 * (1.0 / 479001600.0))))));
}
fn sin_f(x: f32) -> f32 {
  let rk = reduce_half_pi(x);
  let q = i32(rk.y) & 3;
  if (q == 0) { return sin_poly(rk.x); }
  if (q == 1) { return cos_poly(rk.x); }
  if (q == 2) { return -sin_poly(rk.x); }
  return -cos_poly(rk.x);
}
fn cos_f(x: f32) -> f32 {
  let rk = reduce_half_pi(x);
  let q = i32(rk.y) & 3;
  if (q == 0) { return cos_poly(rk.x); }
  if (q == 1) { return -sin_poly(rk.x); }
  if (q == 2) { return -cos_poly(rk.x); }
  return sin_poly(rk.x);
}

// 1 + tanh(u) and 1 - tanh(u) without cancellation: 2 / (1 + e) or 2e / (1 + e) with e = exp(-2|u|).
fn one_plus_tanh(u: f32) -> f32 {
  let e = exp(-2.0 * abs(u));
  if (u >= 0.0) { return 2.0 / (1.0 + e); }
  return 2.0 * e / (1.0 + e);
}
fn one_minus_tanh(u: f32) -> f32 { return one_plus_tanh(-u); }

fn pow_f(x: f32, y: f32) -> f32 {
  // C's pow (and PyTorch): 1^y = 1 for every y, NaN included, and (-1)^(+-inf) = 1.
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return nan_f(); }
  if (x == -1.0 && abs(y) == inf_f()) { return 1.0; }
  let ax = abs(x);
  var r: f32;
  if (ax == 0.0) { r = select(0.0, inf_f(), y < 0.0); }
  else { r = pow(ax, y); }
  if (x < 0.0) {
    if (floor(y) != y) { return nan_f(); }
    let odd = abs(y) < 16777216.0 && fract(y * 0.5) != 0.0;
    if (odd) { r = -r; }
  }
  return r;
}

fn erf_small(x: f32) -> f32 {
  let z = x * x;
  let num = (((0.18577770618460315 * z + 3.1611237438705655) * z + 113.86415415105016) * z + 377.485237685302) * z + 3209.3775891384694;
  let den = (((z + 23.601290952344122) * z + 244.02463793444417) * z + 1282.6165260773723) * z + 2844.236833439171;
  return x * num / den;
}

fn erfc_positive(y: f32) -> f32 {
  if (y > 10.5) { return 0.0; }
  var r: f32;
  if (y <= 4.0) {
    let num = (((((((2.1531153547440383e-8 * y + 0.5641884969886701) * y + 8.883149794388375) * y + 66.11919063714163) * y + 298.6351381974001) * y + 881.952221241769) * y + 1712.0476126340707) * y + 2051.0783778260716) * y + 1230.3393547979972;
    let den = (((((((y + 15.744926110709835) * y + 117.6939508913125) * y + 537.1811018620099) * y + 1621.3895745666903) * y + 3290.7992357334597) * y + 4362.619090143247) * y + 3439.3676741437216) * y + 1230.3393548037493;
    r = num / den;
  } else {
    let z = 1.0 / (y * y);
    let num = ((((0.016315387137302097 * z + 0.30532663496123236) * z + 0.36034489994980445) * z + 0.12578172611122926) * z + 0.01608378514874228) * z + 0.0006587491615298378;
    let den = ((((z + 2.568520192289822) * z + 1.8729528499234604) * z + 0.5279051029514285) * z + 0.06051834131244132) * z + 0.0023352049762686918;
    r = (0.5641895835477563 - z * num / den) / y;
  }
  // NOTE: exp(-y²) with y² split as t² + (y - t)(y + t), t = y rounded down to 1/16: t² is exact.
  let t = trunc(y * 16.0) / 16.0;
  return exp(-t * t) * exp(-(y - t) * (y + t)) * r;
}

fn erfc_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let y = abs(x);
  if (y <= 0.46875) { return 1.0 - erf_small(x); }
  let r = erfc_positive(y);
  return select(r, 2.0 - r, x < 0.0);
}
`;
