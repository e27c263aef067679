"""Small statistics helpers: Student t quantiles, mean confidence intervals, Welch intervals.

No SciPy: the t quantile is found by Newton's method on the exact t distribution
function, written with the regularised incomplete beta function (continued fraction).
The results match R's `qt` and `t.test` to 1e-9 (see tests/reference/stats_reference.R).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

CI_LEVEL = 0.95
CI_METHOD = (
    "95% confidence interval of a mean: Student t interval, mean ± t(0.975; n − 1) · SD / √n, "
    "SD with n − 1 in the denominator."
)
WELCH_METHOD = (
    "95% confidence interval of a difference between two independent means (Welch): "
    "diff ± t(0.975; df) · √(s₁²/n₁ + s₂²/n₂), df by the Welch–Satterthwaite formula."
)

_EPS = 1e-16
_TINY = 1e-300
_MAX_ITER = 10_000
# From this df on the incomplete beta loses precision and the Cornish-Fisher series
# is exact to double precision (its first omitted term is of order df^-5).
_LARGE_DF = 1e5


def _log_gamma_ratio_half(a: float) -> float:
    """ln Γ(a + ½) − ln Γ(a); an asymptotic series for large a avoids cancellation."""
    if a < 20:
        return math.lgamma(a + 0.5) - math.lgamma(a)
    return (
        0.5 * math.log(a) - 1 / (8 * a) + 1 / (192 * a**3) - 1 / (640 * a**5) + 17 / (14336 * a**7)
    )


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz method)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_ITER):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            return h
    raise ArithmeticError("incomplete beta continued fraction did not converge")


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0, T Student t with `df` degrees of freedom."""
    if t == 0:
        return 0.5
    # I_x(df/2, 1/2) with x = df / (df + t²) is the two-sided tail; y = 1 - x computed
    # directly so that large df keeps full precision.
    a, b = df / 2.0, 0.5
    x = df / (df + t * t)
    y = t * t / (df + t * t)
    log_beta = math.lgamma(b) - _log_gamma_ratio_half(a)  # ln B(a, ½)
    log_front = a * math.log(x) + b * math.log(y) - log_beta
    if x < (a + 1.0) / (a + b + 2.0):
        two_sided = math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    else:
        two_sided = 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, y) / b
    return 0.5 * two_sided


def _t_density(t: float, df: float) -> float:
    """Density of the Student t distribution."""
    log_c = _log_gamma_ratio_half(df / 2.0) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1.0) / 2.0 * math.log1p(t * t / df))


def _normal_quantile_upper(tail: float) -> float:
    """The z > 0 with P(Z > z) = tail < 0.5, by monotone Newton steps from 0."""
    z = 0.0
    for _ in range(_MAX_ITER):
        density = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        step = (0.5 * math.erfc(z / math.sqrt(2.0)) - tail) / density
        z += step
        if abs(step) <= 1e-15 * max(1.0, z):
            return z
    raise ArithmeticError("normal quantile did not converge")


def _cornish_fisher(z: float, df: float) -> float:
    """t quantile from the normal quantile z (Abramowitz & Stegun 26.7.5), for large df."""
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student t with `df` > 0 degrees of freedom."""
    tail = _t_upper_tail(abs(t), df)
    return 1.0 - tail if t >= 0 else tail


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """Quantile of Student t: the t with P(T <= t) = p, for 0 < p < 1 and df > 0."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if not df > 0:
        raise ValueError(f"df must be > 0, got {df}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    target = 1.0 - p
    if df >= _LARGE_DF:
        return _cornish_fisher(_normal_quantile_upper(target), df)
    # The upper tail is decreasing and convex for t > 0, so Newton from t = 0 moves up
    # monotonically to the root without overshooting; convergence is quadratic near the
    # root. Iteration stops at 1e-13, or once steps below 1e-10 stop shrinking (the
    # rounding noise floor of the tail probability for large df).
    t = 0.0
    previous = math.inf
    for _ in range(_MAX_ITER):
        step = (_t_upper_tail(t, df) - target) / _t_density(t, df)
        t += step
        size = abs(step)
        if size <= 1e-13 * max(1.0, t) or (size <= 1e-10 * max(1.0, t) and size >= previous):
            return t
        previous = size
    raise ArithmeticError("t quantile did not converge")


def t_critical(df: float, level: float = CI_LEVEL) -> float:
    """Two-sided critical value t((1 + level) / 2; df); NaN when df is not positive."""
    if not (df > 0 and math.isfinite(df)):
        return math.nan
    return t_quantile((1.0 + level) / 2.0, float(df))


def t_critical_array(df: npt.ArrayLike, level: float = CI_LEVEL) -> npt.NDArray[np.float64]:
    """Vectorised `t_critical`: one quantile per distinct df, NaN where df <= 0 or NaN."""
    dfs = np.asarray(df, dtype=float)
    out = np.full(dfs.shape, np.nan)
    ok = np.isfinite(dfs) & (dfs > 0)
    if ok.any():
        unique, inverse = np.unique(dfs[ok], return_inverse=True)
        values = np.array([t_critical(float(d), level) for d in unique])
        out[ok] = values[inverse]
    return out


@dataclass(frozen=True)
class Summary:
    """n, mean, SD (n − 1) and the t-based confidence interval of a sample."""

    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float


def mean_ci(
    mean: npt.ArrayLike, sd: npt.ArrayLike, n: npt.ArrayLike, level: float = CI_LEVEL
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Student t interval of the mean from summary statistics (NaN where n < 2)."""
    mean_a = np.asarray(mean, dtype=float)
    sd_a = np.asarray(sd, dtype=float)
    n_a = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t_critical_array(n_a - 1.0, level) * sd_a / np.sqrt(n_a)
    return mean_a - half, mean_a + half


def summarise(values: npt.ArrayLike, level: float = CI_LEVEL) -> Summary:
    """Summary of the finite values in `values` (NaN entries are ignored)."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    n = int(data.size)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(data.mean())
    sd = float(data.std(ddof=1)) if n > 1 else math.nan
    low, high = mean_ci(mean, sd, n, level)
    return Summary(n, mean, sd, float(low), float(high))


@dataclass(frozen=True)
class WelchInterval:
    """Difference b − a of two means with its Welch confidence interval."""

    diff: float
    se: float
    df: float
    ci_low: float
    ci_high: float

    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0."""
        return self.ci_low > 0 or self.ci_high < 0


def welch_interval(
    mean_a: float,
    sd_a: float,
    n_a: int,
    mean_b: float,
    sd_b: float,
    n_b: int,
    level: float = CI_LEVEL,
) -> WelchInterval:
    """Welch interval for mean_b − mean_a with Welch–Satterthwaite degrees of freedom.

    When both samples have zero variance the interval collapses to the difference itself
    (df is NaN then): nothing varies, so any difference is the whole story.
    """
    if n_a < 2 or n_b < 2:
        raise ValueError("Welch interval needs at least two observations in each sample")
    diff = mean_b - mean_a
    va, vb = sd_a**2 / n_a, sd_b**2 / n_b
    se = math.sqrt(va + vb)
    if se == 0:
        return WelchInterval(diff, 0.0, math.nan, diff, diff)
    df = (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
    half = t_critical(df, level) * se
    return WelchInterval(diff, se, df, diff - half, diff + half)
