"""mle, part 4: the multivariate Gaussian (30 points)."""
import numpy as np
from scipy import stats

from autograder.harness import Mistake, expect, expect_array, expect_close, points, reference
from datasets import random_spd

ref = reference("mle")


@points(8)
def test_mvn_mle(student, rng):
    """mvn_mle: the sample mean and the covariance with divisor n"""
    for n, d in [(40, 2), (500, 5)]:
        X = rng.multivariate_normal(rng.normal(size=d), random_spd(rng, d), size=n)
        got = student.mvn_mle(X)
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"mvn_mle(X) should return (mean, cov), got {type(got).__name__}")
        mean, cov = ref.mvn_mle(X)
        expect_close(got[0], mean, f"mvn_mle(X)[0] (the mean), X of shape {X.shape}")
        expect_close(got[1], cov, f"mvn_mle(X)[1] (the covariance), X of shape {X.shape}", mistakes=[
            Mistake(np.cov(X.T), "covariance divided by n−1; the MLE divides by n"),
            Mistake(X.T @ X / n, "the data were not centred: subtract the mean before the outer products"),
            Mistake(np.diag(X.var(axis=0)), "only the variances were kept: the covariance is a full matrix"),
        ])


@points(3)
def test_mvn_mle_one_feature(student, rng):
    """mvn_mle on a 1-D array: one feature, so mean shape (1,) and cov shape (1, 1)"""
    x = rng.normal(3.0, 2.0, size=50)
    got = student.mvn_mle(x)
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"mvn_mle(x) should return (mean, cov), got {type(got).__name__}")
    mean = expect_array(got[0], "mvn_mle(x)[0] for a 1-D x", shape=(1,))
    cov = expect_array(got[1], "mvn_mle(x)[1] for a 1-D x", shape=(1, 1))
    expect_close(mean, [x.mean()], "mvn_mle(x)[0] for a 1-D x")
    expect_close(cov, [[x.var()]], "mvn_mle(x)[1] for a 1-D x")


@points(10)
def test_mvn_logpdf(student, rng):
    """mvn_logpdf: equals scipy.stats.multivariate_normal.logpdf, row by row"""
    for n, d in [(1, 1), (30, 3), (200, 10)]:
        mean, cov = rng.normal(size=d), random_spd(rng, d, cond=50.0)
        X = rng.multivariate_normal(mean, cov, size=n) + rng.normal(size=(n, d))
        expected = np.atleast_1d(stats.multivariate_normal(mean, cov).logpdf(X))
        sign, logdet = np.linalg.slogdet(cov)
        got = student.mvn_logpdf(X, mean, cov)
        expect_close(got, expected, f"mvn_logpdf(X, mean, cov) with X of shape {X.shape}", mistakes=[
            Mistake(expected + 0.5 * logdet, "the −½·log det Σ term is missing"),
            Mistake(expected + 0.5 * (d - 1) * np.log(2 * np.pi),
                    "log(2π) was counted once; the constant is −(d/2)·log(2π)"),
            Mistake(expected - 0.5 * logdet, "log det Σ was counted twice (or with the wrong sign)"),
        ])


@points(9)
def test_mvn_logpdf_high_dimension(student, rng):
    """mvn_logpdf in d = 200: finite and exact where det(Σ) under- or overflows"""
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
