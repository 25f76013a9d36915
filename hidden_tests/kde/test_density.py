"""kde, part 1: evaluating the density, gaussian_kde_logpdf (27 points)."""
import math

import numpy as np
from sklearn.neighbors import KernelDensity

from autograder.harness import Mistake, expect_array, expect_close, fail, points, reference

ref = reference("kde")
LOG_2PI = math.log(2.0 * math.pi)

#: carry forward (autograder/carry.py): the tests below run the student's own gaussian_kde_logpdf
#: when it fails the test of its formula (test_logpdf_matches_sklearn)
USES_LOGPDF = {"gaussian_kde_logpdf": "test_logpdf_matches_sklearn"}


def own_offset(module, X, h, what):
    """The constant your own gaussian_kde_logpdf adds to log p̂ (a normalising-constant mistake),
    measured at queries near the data, where nothing underflows; fails when the difference is not
    one constant (then far values cannot be predicted from near ones)."""
    Q = X[:8] + 0.1 * h
    delta = np.asarray(module.gaussian_kde_logpdf(X, Q, h), dtype=float) - ref.gaussian_kde_logpdf(X, Q, h)
    if delta.shape != (len(Q),) or not np.all(np.isfinite(delta)) or np.ptp(delta) > 1e-8 * (1 + abs(delta[0])):
        fail(f"{what}: your own gaussian_kde_logpdf differs from log p̂ near the data by more than a "
             "constant, so its far values cannot be predicted from its near ones")
    return float(delta.mean())


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
        # (the reference) is the answer (docs/FACTS.md)
        near = expected_sk > -10
        expect_close(got[near], expected_sk[near], f"{what}, where log p̂ > −10 (vs scikit-learn)",
                     rtol=0, atol=1e-8, mistakes=[Mistake(k.value[near], k.message) for k in hints])
        expect_close(got[~near], exact[~near], f"{what}, where log p̂ ≤ −10", rtol=1e-8,
                     mistakes=[Mistake(k.value[~near], k.message) for k in hints])


@points(8)
def test_logpdf_far_from_data(student, carry, rng):
    """gaussian_kde_logpdf far from every training row: finite and exact (log-sum-exp)

    Carries forward: with your own gaussian_kde_logpdf failing its formula test by a constant
    (a normalising constant), the far values are expected to carry that same constant."""
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
        mistakes = [*floor,
            Mistake(np.full(len(Q), -np.inf),
                    "no log-sum-exp: exp(−‖q − x_i‖²/(2h²)) underflows to 0 for every training row, "
                    "and log 0 = −inf. Subtract the largest exponent of each query row before "
                    "exponentiating (log-sum-exp)"),
            Mistake(np.full(len(Q), np.nan), "NaN: the log-sum-exp shift was −inf or inf; shift by "
                                             "the largest exponent of each query row"),
        ]

        def compare(module, X=X, h=h, got=got, expected=expected, what=what, mistakes=mistakes):
            if module is None:
                expect_close(got, expected, what, rtol=1e-8, mistakes=mistakes)
            else:  # log p̂ plus the constant your own function adds near the data
                expect_close(got, expected + own_offset(module, X, h, what), what, rtol=1e-8)

        carry.check(compare, uses=USES_LOGPDF)
    # near and far queries in one call: the shift must be per query row, not one for all
    X = rng.normal(size=(30, 2))
    h = 0.3
    Q = np.vstack([X[:3] + 0.1, X.mean(0) + [[400.0, 0.0], [0.0, -900.0]]])
    expected = ref.gaussian_kde_logpdf(X, Q, h)
    got = student.gaussian_kde_logpdf(X, Q, h)
    what = "gaussian_kde_logpdf for 3 queries near the data and 2 far away, in one call"
    got = expect_array(got, what, shape=(len(Q),), finite=False)
    mistakes = [
        Mistake(np.r_[expected[:3], -np.inf, -np.inf],
                "−inf for the far queries only: the log-sum-exp shift must be the largest exponent of "
                "each query row (one shift for all rows does not prevent the underflow)"),
    ]

    def compare(module):
        if module is None:
            expect_close(got, expected, what, rtol=1e-8, mistakes=mistakes)
        else:
            expect_close(got, expected + own_offset(module, X, h, what), what, rtol=1e-8)

    carry.check(compare, uses=USES_LOGPDF)


@points(5, depends={"test_logpdf_matches_sklearn": "the density integrated is your gaussian_kde_logpdf"})
def test_logpdf_integrates_to_one(student, rng, artifacts):
    """end to end (reference only): exp(gaussian_kde_logpdf) integrates to 1 on a fine 1-D grid

    kde's one test that never carries an error forward: the density the student's code returns
    must be a density, whatever part of it is wrong."""
    n = int(rng.integers(5, 30))
    x = rng.normal(size=n) * rng.uniform(0.5, 3.0)
    h = float(rng.uniform(0.2, 0.6))
    # spacing h/20 from 12 bandwidths below the data to 12 above: the Riemann sum of a sum of
    # Gaussians is exact to ~1e-12 there
    grid = np.arange(x.min() - 12 * h, x.max() + 12 * h, h / 20)
    got = expect_array(student.gaussian_kde_logpdf(x, grid, h),
                       f"gaussian_kde_logpdf on a grid of {len(grid)} points", shape=(len(grid),))
    artifacts["kde_curve"] = {"x": x, "grid": grid, "h": h, "logpdf": got,  # the feedback's picture
                              "ref_logpdf": ref.gaussian_kde_logpdf(x, grid, h)}  # the reference's curve
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
def test_logpdf_far_from_the_origin(student, carry, rng):
    """gaussian_kde_logpdf on data around 1e5–1e6: exact (centre the data before expanding ‖q − x‖²)

    Carries forward: with your own gaussian_kde_logpdf failing its formula test, the expected
    values are your own for the same data shifted to the origin."""
    d, n, m = 2, 200, 100
    offset = rng.uniform(1e5, 1e6, size=d) * rng.choice([-1, 1], size=d)
    X = rng.normal(size=(n, d)) + offset
    h = float(rng.uniform(0.3, 0.7))
    Q = X[rng.integers(n, size=m)] + rng.normal(size=(m, d)) * 0.5
    # scikit-learn's tree subtracts coordinates directly; near the data it is exact (docs/FACTS.md)
    expected = sklearn_logpdf(X, Q, h)
    near = expected > -10
    got = expect_array(student.gaussian_kde_logpdf(X, Q, h), "gaussian_kde_logpdf on data around "
                       "1e5–1e6", shape=(m,))
    # ‖q‖² + ‖x‖² − 2 q·x with terms ~1e10–1e12 carries rounding errors ~1e-6–1e-4 in each squared
    # distance, ≥ 100 times the tolerance; with the data centred (on the training mean) ~1e-15
    what = (f"gaussian_kde_logpdf(X_train, X_query, h={h:.4f}) with data around {np.abs(offset).min():.3g} "
            "(‖q‖² + ‖x‖² − 2q·x loses digits this far out: centre the data first, e.g. on the training mean)")

    def compare(module):
        if module is None:
            expect_close(got[near], expected[near], what, rtol=0, atol=1e-8, mistakes=[Mistake(
                uncentred_logpdf(X, Q, h)[near],
                "‖q − x‖² was expanded as ‖q‖² + ‖x‖² − 2q·x on the raw coordinates, which loses digits "
                "far from the origin: centre the data first (subtract the training mean from both)")])
        else:  # a shift of the data and the queries changes no log-density: your own, near the origin
            own = np.asarray(module.gaussian_kde_logpdf(X - offset, Q - offset, h), dtype=float)
            expect_close(got[near], own[near], what + ", compared with your own values for the data "
                         "shifted to the origin", rtol=0, atol=1e-8)

    carry.check(compare, uses=USES_LOGPDF)


def uncentred_logpdf(X, Q, h):
    """log p̂ with ‖q − x‖² expanded on the raw (uncentred) coordinates, as one matrix product of
    rows [q/h, 1, −‖q/h‖²/2] and [x/h, −‖x/h‖²/2, 1] (small sizes only)."""
    n, d = X.shape
    A = np.c_[Q / h, np.ones(len(Q)), -0.5 * np.einsum("ij,ij->i", Q / h, Q / h)]
    B = np.c_[X / h, -0.5 * np.einsum("ij,ij->i", X / h, X / h), np.ones(n)].T.copy()
    expo = np.minimum(np.matmul(A, B), 0.0)
    top = expo.max(axis=1)
    return top + np.log(np.exp(expo - top[:, None]).sum(axis=1)) - math.log(n) - 0.5 * d * (LOG_2PI + 2 * math.log(h))
