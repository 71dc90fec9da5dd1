"""Fits and checks the rational GELU of java-api's VectorElementwise (numpy and scipy; about a minute).

Phi(x) - 1/2 = 1/2 erf(x / sqrt 2) is fitted as x P(x^2) / Q(x^2), P of degree 6 and Q of degree 4 (Q(0) = 1), on
0 < x <= 5.6: a linear least-squares start (Sanathanan-Koerner: reweighted by 1/Q), then Lawson's reweighting of a
nonlinear least-squares fit toward the minimax error. The variable is scaled to [0, 1] while fitting.

The check evaluates the float kernel as Java runs it (fma Horner steps, float product and division) and prints the
worst |GELU - exact| / |x| over every float in [2, 8] and 50 million random floats below 2, and the clamp: the first
float at which the fit gives exactly 1/2, and the first at which it exceeds 1/2 (the clamp must lie below that).
"""
import numpy as np
from scipy.optimize import least_squares
from scipy.special import erf, erfc

C, NP, NQ = 5.6, 6, 4


def fit():
    x = np.linspace(0, C, 40001)[1:]
    f = 0.5 * erf(x / np.sqrt(2))
    s = (x / C) ** 2

    def model(th):
        p, q = th[:NP + 1], np.concatenate([[1.0], th[NP + 1:]])
        return x * np.polyval(p[::-1], s) / np.polyval(q[::-1], s)

    w = np.ones_like(x)
    for _ in range(30):
        a = np.hstack([np.stack([x * s ** i for i in range(NP + 1)], 1),
                       np.stack([-f * s ** j for j in range(1, NQ + 1)], 1)])
        th, *_ = np.linalg.lstsq(a * w[:, None], f * w, rcond=None)
        w = 1 / np.abs(np.polyval(np.concatenate([[1.0], th[NP + 1:]])[::-1], s))
    lw = np.ones_like(x) / len(x)
    best, best_err = th, np.inf
    for _ in range(200):
        th = least_squares(lambda t: np.sqrt(lw) * (model(t) - f), th, method='lm', xtol=1e-15, ftol=1e-15).x
        e = np.abs(model(th) - f)
        if e.max() < best_err:
            best, best_err = th.copy(), e.max()
        lw = lw * e
        lw /= lw.sum()
    p = [best[i] / C ** (2 * i) for i in range(NP + 1)]
    q = [1.0] + [best[NP + j] / C ** (2 * j) for j in range(1, NQ + 1)]
    print("minimax error of 1/2 erf(x/sqrt 2), real arithmetic: %.3g" % best_err)
    return np.float32(p), np.float32(q)


def fma(a, b, c):
    return (a.astype(np.float64) * b.astype(np.float64) + np.float64(c)).astype(np.float32)


def phi_minus_half(x, p, q, clamp):
    c = np.where(x > clamp, clamp, np.where(x < -clamp, -clamp, x)).astype(np.float32)
    u = (c * c).astype(np.float32)
    pu = fma(u, np.full_like(u, p[-1]), p[-2])
    for k in p[-3::-1]:
        pu = fma(u, pu, k)
    qu = fma(u, np.full_like(u, q[-1]), q[-2])
    for k in q[-3::-1]:
        qu = fma(u, qu, k)
    return ((c * pu).astype(np.float32) / qu).astype(np.float32)


def worst_relative(x, p, q, clamp):
    g = (x * (phi_minus_half(x, p, q, clamp) + np.float32(0.5)).astype(np.float32)).astype(np.float32)
    xd = x.astype(np.float64)
    half = 0.5 * erfc(np.abs(xd) / np.sqrt(2))
    exact = np.where(xd >= 0, xd * (1 - half), xd * half)
    return float((np.abs(g - exact) / np.abs(xd)).max())


def floats(lo, hi):
    return np.arange(np.float32(lo).view(np.int32), np.float32(hi).view(np.int32) + 1, dtype=np.int32).view(np.float32)


def main():
    p, q = fit()
    print("P:", ", ".join("%.9ef" % k for k in p))
    print("Q:", ", ".join("%.9ef" % k for k in q[1:]))
    x = floats(4.5, C)
    r = phi_minus_half(x, p, q, np.float32(np.inf))
    above = x[r > 0.5].min()
    clamp = x[(r == np.float32(0.5)) & (x < above)].min()
    print("fit exactly 1/2 first at %.8g, above 1/2 first at %.8g: clamp %.8gf" % (clamp, above, clamp))
    worst = max(worst_relative(s, p, q, clamp) for s in (floats(2, 8), -floats(2, 8)))
    rng = np.random.default_rng(3)
    bits = rng.integers(np.float32(1e-38).view(np.int32), np.float32(2).view(np.int32), 50_000_000)
    small = bits.astype(np.int32).view(np.float32)
    for s in (small, -small):
        for i in range(0, len(s), 5_000_000):
            worst = max(worst, worst_relative(s[i:i + 5_000_000], p, q, clamp))
    print("worst |GELU - exact| / |x| in float: %.3g" % worst)


if __name__ == "__main__":
    main()
