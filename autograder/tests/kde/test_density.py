"""kde, part 1: evaluating the density, gaussian_kde_logpdf (27 points)."""
import math

import numpy as np
from sklearn.neighbors import KernelDensity

from autograder.harness import Mistake, expect_array, expect_close, points, reference

ref = reference("kde")
LOG_2PI = math.log(2.0 * math.pi)


def sklearn_logpdf(X, Q, h):
    """scikit-learn's exact (atol = rtol = 0) Gaussian KDE log-density, X and Q of shape (., d)."""
    return KernelDensity(kernel="gaussian", bandwidth=h).fit(X).score_samples(Q)


def logpdf_mistakes(X, Q, h):
    """Wrong answers a typical mistake gives (X, Q of shape (n, d), (m, d))."""
    n, d = X.shape
    exact = ref.gaussian_kde_logpdf(X, Q, h)
    log_kernels = (-0.5 * ((Q[:, None, :] - X[None, :, :]) ** 2).sum(-1) / h**2
                   - 0.5 * d * (LOG_2PI + 2 * math.log(h)))  # (m, n), small sizes only
    hints = [
        Mistake(ref.gaussian_kde_logpdf(X, Q, math.sqrt(h)),
                "the bandwidth was used as the kernel's variance; h is its standard deviation "
                "(the kernel is N(x_i, h² I): exponent −‖x − x_i‖²/(2h²), constant (2πh²)^(−d/2))"),
        Mistake(exact + math.log(n), "the kernels were summed, not averaged: subtract log n "
                                     "(p̂ is the mean of the n kernels)"),
        Mistake(exact + 0.5 * d * (LOG_2PI + 2 * math.log(h)),
                "the kernel's normalising constant (2πh²)^(−d/2) is missing"),
        Mistake(log_kernels.mean(axis=1), "averaged the log-kernels: log p̂ is the log of the mean "
                                          "of the kernels (log-sum-exp − log n), not the mean of their logs"),
    ]
    if d > 1:
        hints.append(Mistake(exact + 0.5 * (d - 1) * (LOG_2PI + 2 * math.log(h)),
                             f"the 1-D normalising constant (2πh²)^(−1/2) was used in d = {d} "
                             "dimensions; it is (2πh²)^(−d/2)"))
    return exact, hints


@points(11)
def test_logpdf_matches_sklearn(student, rng):
    """gaussian_kde_logpdf: equals scikit-learn's KernelDensity.score_samples in d = 1, 2, 5 (lists too)"""
    for d, n, m in [(1, 200, 150), (2, 300, 200), (5, 300, 200), (3, 40, 30)]:
        X = rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d) + rng.normal(size=d)
        h = float(rng.uniform(0.3, 0.7))  # away from 1, where h and h² would coincide
        # queries near the data and up to a few spreads away (log-densities from about −1 to −100)
        Q = X[rng.integers(n, size=m)] + rng.normal(size=(m, d)) * rng.uniform(0.1, 3.0, size=(m, 1))
        expected_sk = sklearn_logpdf(X, Q, h)
        exact, hints = logpdf_mistakes(X, Q, h)
        label = ""
        if d == 1:  # 1-D arrays mean one feature
            got = student.gaussian_kde_logpdf(X.ravel(), Q.ravel(), h)
            label = " (1-D arrays)"
        elif d == 3:
            got = student.gaussian_kde_logpdf(X.tolist(), Q.tolist(), h)
            label = " (lists of lists)"
        else:
            got = student.gaussian_kde_logpdf(X, Q, h)
        what = f"gaussian_kde_logpdf(X_train, X_query, h={h:.4f}), d={d}, n={n}, m={m}{label}"
        got = expect_array(got, what, shape=(m,))
        # scikit-learn's tree is exact to ~1e-12 above −10; further out the exact log-sum-exp
        # (the reference) is the answer (FACTS.md)
        near = expected_sk > -10
        expect_close(got[near], expected_sk[near], f"{what}, where log p̂ > −10 (vs scikit-learn)",
                     rtol=0, atol=1e-8, mistakes=[Mistake(k.value[near], k.message) for k in hints])
        expect_close(got[~near], exact[~near], f"{what}, where log p̂ ≤ −10", rtol=1e-8,
                     mistakes=[Mistake(k.value[~near], k.message) for k in hints])


@points(8)
def test_logpdf_far_from_data(student, rng):
    """gaussian_kde_logpdf far from every training row: finite and exact (log-sum-exp)"""
    for d in (1, 3):
        X = rng.normal(size=(50, d))
        h = float(rng.uniform(0.2, 0.5))
        # 50 to 1000 bandwidths beyond a ball of radius 6 around the data's mean (a row outside it
        # is rare, and still ≥ 45 bandwidths from every query): every exp(−‖q − x‖²/(2h²))
        # underflows to 0 (exponent < −1000), so a log of a sum of exps gives −inf everywhere
        direction = rng.normal(size=(40, d))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        Q = direction * (6.0 + h * np.geomspace(50, 1000, 40))[:, None] + X.mean(0)
        expected = ref.gaussian_kde_logpdf(X, Q, h)
        got = student.gaussian_kde_logpdf(X, Q, h)
        what = f"gaussian_kde_logpdf for queries 50 to 1000 bandwidths from the data (d={d})"
        got = expect_array(got, what, shape=(len(Q),), finite=False)
        floor = []
        if np.all(np.isfinite(got)) and np.ptp(got) <= 1e-9 * np.abs(got).max():
            # the exact values span hundreds of thousands of nats; one value for all is a floor
            floor.append(Mistake(got.copy(), f"every query got the same value, {got[0]:.6g}: the log "
                                             "was taken of the kernel sum plus a small ε (log(Σ + ε)), "
                                             "whose floor log ε is far above the true log-density; use "
                                             "log-sum-exp, with no ε"))
        expect_close(got, expected, what, rtol=1e-8, mistakes=[*floor,
            Mistake(np.full(len(Q), -np.inf),
                    "no log-sum-exp: exp(−‖q − x_i‖²/(2h²)) underflows to 0 for every training row, "
                    "and log 0 = −inf. Subtract the largest exponent of each query row before "
                    "exponentiating (log-sum-exp)"),
            Mistake(np.full(len(Q), np.nan), "NaN: the log-sum-exp shift was −inf or inf; shift by "
                                             "the largest exponent of each query row"),
        ])
    # near and far queries in one call: the shift must be per query row, not one for all
    X = rng.normal(size=(30, 2))
    h = 0.3
    Q = np.vstack([X[:3] + 0.1, X.mean(0) + [[400.0, 0.0], [0.0, -900.0]]])
    expected = ref.gaussian_kde_logpdf(X, Q, h)
    got = student.gaussian_kde_logpdf(X, Q, h)
    what = "gaussian_kde_logpdf for 3 queries near the data and 2 far away, in one call"
    got = expect_array(got, what, shape=(len(Q),), finite=False)
    expect_close(got, expected, what, rtol=1e-8, mistakes=[
        Mistake(np.r_[expected[:3], -np.inf, -np.inf],
                "−inf for the far queries only: the log-sum-exp shift must be the largest exponent of "
                "each query row (one shift for all rows does not prevent the underflow)"),
    ])


@points(5)
def test_logpdf_integrates_to_one(student, rng, artifacts):
    """gaussian_kde_logpdf: exp(log p̂) integrates to 1 on a fine 1-D grid"""
    n = int(rng.integers(5, 30))
    x = rng.normal(size=n) * rng.uniform(0.5, 3.0)
    h = float(rng.uniform(0.2, 0.6))
    # spacing h/20 from 12 bandwidths below the data to 12 above: the Riemann sum of a sum of
    # Gaussians is exact to ~1e-12 there
    grid = np.arange(x.min() - 12 * h, x.max() + 12 * h, h / 20)
    got = expect_array(student.gaussian_kde_logpdf(x, grid, h),
                       f"gaussian_kde_logpdf on a grid of {len(grid)} points", shape=(len(grid),))
    artifacts["kde_curve"] = {"x": x, "grid": grid, "h": h, "logpdf": got}  # the feedback's picture
    integral = float(np.sum(np.exp(got)) * (h / 20))
    expect_close(integral, 1.0, f"the integral of exp(gaussian_kde_logpdf(x, grid, h={h:.4f})), "
                 f"n={n}", rtol=1e-6, mistakes=[
                     Mistake(n, "the kernels were summed, not averaged: divide by n (subtract log n)"),
                     Mistake(math.sqrt(2 * math.pi) * h,
                             "the kernel's normalising constant 1/sqrt(2πh²) is missing"),
                     Mistake(math.sqrt(2 * math.pi) * h * math.sqrt(2 * math.pi * h * h),
                             "the normalising constant has the wrong sign (multiplied by sqrt(2πh²) "
                             "instead of dividing)"),
                 ])


@points(3, depends=("test_logpdf_matches_sklearn",))
def test_logpdf_far_from_the_origin(student, rng):
    """gaussian_kde_logpdf on data around 1e5–1e6: exact (centre the data before expanding ‖q − x‖²)"""
    d, n, m = 2, 200, 100
    offset = rng.uniform(1e5, 1e6, size=d) * rng.choice([-1, 1], size=d)
    X = rng.normal(size=(n, d)) + offset
    h = float(rng.uniform(0.3, 0.7))
    Q = X[rng.integers(n, size=m)] + rng.normal(size=(m, d)) * 0.5
    # scikit-learn's tree subtracts coordinates directly; near the data it is exact (FACTS.md)
    expected = sklearn_logpdf(X, Q, h)
    near = expected > -10
    got = expect_array(student.gaussian_kde_logpdf(X, Q, h), "gaussian_kde_logpdf on data around "
                       "1e5–1e6", shape=(m,))
    # ‖q‖² + ‖x‖² − 2 q·x with terms ~1e10–1e12 carries rounding errors ~1e-6–1e-4 in each squared
    # distance, ≥ 100 times the tolerance; with the data centred (on the training mean) ~1e-15
    expect_close(got[near], expected[near], f"gaussian_kde_logpdf(X_train, X_query, h={h:.4f}) with "
                 f"data around {np.abs(offset).min():.3g} (‖q‖² + ‖x‖² − 2q·x loses digits this far "
                 "out: centre the data first, e.g. on the training mean)", rtol=0, atol=1e-8)
