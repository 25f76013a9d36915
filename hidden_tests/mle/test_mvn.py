"""mle, part 4: the multivariate Gaussian (26 points)."""
import numpy as np
from scipy import stats

from autograder.harness import Mistake, expect, expect_array, expect_close, points, reference
from datasets import random_spd

ref = reference("mle")


def mvn_samples(rng):
    """(X, label): random data, one as a list of lists, one far from the origin."""
    for n, d in [(40, 2), (500, 5)]:
        yield rng.multivariate_normal(rng.normal(size=d), random_spd(rng, d), size=n), ""
    yield rng.normal(size=(30, 3)), " (X a list of lists)"
    X = rng.multivariate_normal(rng.uniform(1e6, 1e7, size=3), random_spd(rng, 3), size=400)
    yield X, " around 1e6–1e7 (XᵀX/n − mean·meanᵀ loses every digit here: centre first)"


def _pair(got, what):
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"{what} should return (mean, cov), got {type(got).__name__}")
    return got


@points(3)
def test_mvn_mle_mean(student, rng):
    """mvn_mle: the sample mean"""
    for X, label in mvn_samples(rng):
        got = _pair(student.mvn_mle(X.tolist() if "list" in label else X), "mvn_mle(X)")
        expect_close(got[0], ref.mvn_mle(X)[0], f"mvn_mle(X)[0] (the mean), X of shape {X.shape}{label}",
                     rtol=1e-9)


@points(4)
def test_mvn_mle(student, rng):
    """mvn_mle: the covariance with divisor n, also for data far from the origin"""
    for X, label in mvn_samples(rng):
        n = len(X)
        got = _pair(student.mvn_mle(X.tolist() if "list" in label else X), "mvn_mle(X)")
        cov = ref.mvn_mle(X)[1]
        expect_close(got[1], cov, f"mvn_mle(X)[1] (the covariance), X of shape {X.shape}{label}", mistakes=[
            Mistake(np.cov(X.T), "covariance divided by n−1; the MLE divides by n"),
            Mistake(X.T @ X / n, "the data were not centred: subtract the mean before the outer products"),
            Mistake(np.diag(X.var(axis=0)), "only the variances were kept: the covariance is a full matrix"),
            Mistake(X.T @ X / n - np.outer(X.mean(axis=0), X.mean(axis=0)),
                    "the covariance was computed in one pass, and XᵀX/n − mean·meanᵀ loses every digit far "
                    "from the origin: subtract the mean from the rows before the outer products"),
        ])


def first_failed(carry, function, tests):
    """``{function: test}`` for the first of ``tests`` that failed on a value (else the first)."""
    for test in tests:
        if carry.own_failures({function: test}):
            return {function: test}
    return {function: tests[0]}


@points(2)
def test_mvn_mle_one_feature(student, carry, rng):
    """mvn_mle on a 1-D array: one feature, so mean shape (1,) and cov shape (1, 1)

    Carries forward: with your own mvn_mle failing its mean or covariance test, the expected
    values are your own mvn_mle of the same data as one column (shape (n, 1))."""
    x = rng.normal(3.0, 2.0, size=50)
    got = _pair(student.mvn_mle(x), "mvn_mle(x)")
    mean = expect_array(got[0], "mvn_mle(x)[0] for a 1-D x", shape=(1,))
    cov = expect_array(got[1], "mvn_mle(x)[1] for a 1-D x", shape=(1, 1))

    def compare(module):
        if module is None:
            expected, own = (np.array([x.mean()]), np.array([[x.var()]])), ""
        else:
            expected, own = module.mvn_mle(x[:, None]), ", compared with your own mvn_mle(x[:, None])"
        expect_close(mean, expected[0], "mvn_mle(x)[0] for a 1-D x" + own)
        expect_close(cov, expected[1], "mvn_mle(x)[1] for a 1-D x" + own)

    carry.check(compare, uses=first_failed(carry, "mvn_mle", ["test_mvn_mle_mean", "test_mvn_mle"]))


def logpdf_mistakes(X, mean, cov, expected):
    d = len(mean)
    logdet = np.linalg.slogdet(cov)[1]
    diff = X - mean
    maha = np.sum(diff * np.linalg.solve(cov, diff.T).T, axis=1)
    sigma_not_inverse = np.einsum("ij,jk,ik->i", diff, cov, diff)
    return [
        Mistake(expected + 0.5 * logdet, "the −½·log det Σ term is missing"),
        Mistake(expected + 0.5 * (d - 1) * np.log(2 * np.pi),
                "log(2π) was counted once; the constant is −(d/2)·log(2π)"),
        Mistake(expected - 0.5 * logdet, "log det Σ was counted twice (or with the wrong sign)"),
        Mistake(expected + 0.5 * maha - 0.5 * sigma_not_inverse,
                "Σ was used where Σ⁻¹ belongs: the Mahalanobis term is (x − μ)ᵀ Σ⁻¹ (x − μ) "
                "(with Σ = L Lᵀ: solve L z = x − μ and take ‖z‖², not ‖Lᵀ(x − μ)‖²)"),
    ]


@points(7)
def test_mvn_logpdf(student, rng):
    """mvn_logpdf: equals scipy.stats.multivariate_normal.logpdf, row by row (lists and 1-D X too)"""
    for n, d in [(1, 1), (30, 3), (200, 10), (25, 1), (12, 2)]:
        mean, cov = rng.normal(size=d), random_spd(rng, d, cond=50.0)
        X = rng.multivariate_normal(mean, cov, size=n) + rng.normal(size=(n, d))
        expected = np.atleast_1d(stats.multivariate_normal(mean, cov).logpdf(X))
        if n == 25:  # a 1-D X means one feature
            args, label = (X.ravel(), mean, cov), " (X 1-D: one feature)"
        elif n == 12:
            args, label = (X.tolist(), mean.tolist(), cov.tolist()), " (X, mean and cov lists)"
        else:
            args, label = (X, mean, cov), ""
        got = student.mvn_logpdf(*args)
        expect_close(got, expected, f"mvn_logpdf(X, mean, cov) with X of shape {X.shape}{label}",
                     mistakes=logpdf_mistakes(X, mean, cov, expected))


@points(6, depends=("test_mvn_logpdf",))
def test_mvn_logpdf_high_dimension(student, rng):
    """end to end (reference only): mvn_logpdf in d = 200: finite and exact where det(Σ) under- or overflows

    mle's one test that never carries an error forward: the whole log-density, in a dimension
    where only a log-space computation works, against SciPy's."""
    d = 200
    X = rng.normal(size=(5, d))
    for scale in (1e-3, 1e3):
        cov = scale * random_spd(rng, d, cond=5.0)
        mean = rng.normal(size=d) * np.sqrt(scale)
        expected = stats.multivariate_normal(mean, cov).logpdf(X * np.sqrt(scale))
        got = student.mvn_logpdf(X * np.sqrt(scale), mean, cov)
        expect_close(got, expected, f"mvn_logpdf in d = {d} with covariance entries of size {scale:g}",
                     rtol=1e-7, mistakes=[
                         Mistake(np.full(5, np.inf), "log det Σ was computed as log(det(Σ)), which "
                                 "underflows to log 0 in high dimension: use 2·Σ log L_jj of the "
                                 "Cholesky factor L"),
                         Mistake(np.full(5, -np.inf), "log det Σ was computed as log(det(Σ)), which "
                                 "overflows in high dimension: use 2·Σ log L_jj of the Cholesky factor L"),
                         Mistake(np.full(5, np.nan), "log det Σ was computed as log(det(Σ)), which "
                                 "under/overflows in high dimension: use 2·Σ log L_jj of the Cholesky factor"),
                     ])


def ill_conditioned(rng, d=6, kappa=1e9, n=30, scale=4000.0):
    """Σ with condition number ~κ, and rows x with x − μ along Σ's top two eigenvectors.

    There (x − μ)ᵀ Σ⁻¹ (x − μ) = 1.6e7 is well determined, and a Cholesky or solve-based
    evaluation gets it to ~1e-15 relative; an explicit inverse carries an error of ~κ·ε·‖Σ⁻¹‖
    in every entry, ~1e-9 relative here.
    """
    Q = np.linalg.qr(rng.normal(size=(d, d)))[0]
    lam = np.geomspace(1.0, 1.0 / kappa, d) * rng.uniform(0.5, 2.0)
    cov = (Q * lam) @ Q.T
    cov = (cov + cov.T) / 2
    U = rng.normal(size=(n, 2))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    mean = rng.normal(size=d)
    return mean + scale * (U * np.sqrt(lam[:2])) @ Q[:, :2].T, mean, cov


#: Measured on 2000 seeds (log-densities against an 80-bit Cholesky): Cholesky + triangular
#: solve, cho_solve, np.linalg.solve, scipy.linalg.solve (general and assume_a="pos"),
#: np.linalg.cholesky + solve, eigh and lstsq all agree with the reference to ≤ 4.6e-14
#: relative; np.linalg.inv, scipy.linalg.inv and np.linalg.pinv are ≥ 7.1e-11 off. 2e-12
#: leaves a factor ≥ 35 on either side.
ILL_RTOL = 2e-12


@points(4, depends=("test_mvn_logpdf",))
def test_mvn_logpdf_ill_conditioned(student, carry, rng):
    """mvn_logpdf with an ill-conditioned Σ (condition number 1e9): a Cholesky solve, not an explicit inverse

    Carries forward: with your own mvn_logpdf failing test_mvn_logpdf, the expected values are your
    own for the features in reverse order (which changes no log-density): a stable computation
    gives the same to ~13 digits, an explicit inverse does not."""
    for _ in range(3):
        X, mean, cov = ill_conditioned(rng)
        expected = ref.mvn_logpdf(X, mean, cov)
        got = student.mvn_logpdf(X, mean, cov)
        got = expect_array(got, "mvn_logpdf(X, mean, cov) with an ill-conditioned cov", shape=expected.shape)
        hints = []
        others = logpdf_mistakes(X, mean, cov, expected)
        # An explicit inverse loses digits here: about cond(Σ)·ε ≈ 1e-7 relative (measured ≥ 7e-11 over
        # 2000 seeds, never near 1e-5), a few digits no other mistake matches exactly. The other
        # catalogued mistakes are recognised by their exact values; only a result that matches none
        # of them and is accurate to 5–11 digits is named as the inverse.
        # Named only on positive evidence that the lost digits come from Σ's conditioning: the same
        # rows with Σ made well conditioned (its largest eigenvalue·1e-3 added to the diagonal, condition
        # number ≤ 1e3) come back exact, so the formula is right and only the inverse is not.
        err = np.max(np.abs(got - expected) / np.abs(expected))
        matches_other = any(np.allclose(got, m.value, rtol=ILL_RTOL, atol=0) for m in others
                            if np.shape(m.value) == got.shape)
        conditioning = False
        if ILL_RTOL < err < 1e-5 and not matches_other:
            well = cov + 1e-3 * np.linalg.eigvalsh(cov)[-1] * np.eye(len(mean))
            again = np.asarray(student.mvn_logpdf(X, mean, well), dtype=float)
            conditioning = again.shape == expected.shape and bool(np.allclose(
                again, ref.mvn_logpdf(X, mean, well), rtol=ILL_RTOL, atol=0))
        if conditioning:
            hints.append(Mistake(got, "accurate to only ~{:.0f} digits: Σ⁻¹ was formed explicitly "
                                      "(np.linalg.inv), which loses digits when Σ is ill-conditioned; "
                                      "use the Cholesky factor and a triangular solve (or a solve) "
                                      "instead".format(-np.log10(err))))
        what = "mvn_logpdf(X, mean, cov) with cov of condition number 1e9, x − mean along its top eigenvectors"

        def compare(module, X=X, mean=mean, cov=cov, got=got, expected=expected, hints=hints, others=others):
            if module is None:
                expect_close(got, expected, what, rtol=ILL_RTOL, atol=0, mistakes=hints + others)
                return
            p = np.arange(len(mean))[::-1]
            own = np.asarray(module.mvn_logpdf(X[:, p], mean[p], cov[np.ix_(p, p)]), dtype=float)
            expect(own.shape == got.shape and bool(np.all(np.isfinite(own))),
                   f"{what}: your own mvn_logpdf is not finite for the features in reverse order")
            expect_close(got, own, what + ", compared with your own mvn_logpdf of the features in "
                         "reverse order", rtol=ILL_RTOL, atol=0)

        carry.check(compare, uses={"mvn_logpdf": "test_mvn_logpdf"})
