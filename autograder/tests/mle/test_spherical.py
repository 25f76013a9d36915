"""mle, part 5: the spherical Gaussian N(mean, var·I) (15 points)."""
import numpy as np
from scipy import stats

from autograder.harness import Mistake, expect, expect_close, points, reference

ref = reference("mle")


@points(8)
def test_spherical_mle(student, rng):
    """spherical_mle: the mean and one shared variance Σ‖x_i − mean‖² / (n·d)"""
    for n, d in [(25, 2), (400, 7)]:
        X = rng.normal(rng.normal(size=d), rng.uniform(0.5, 2.0), size=(n, d))
        got = student.spherical_mle(X)
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"spherical_mle(X) should return (mean, var), got {type(got).__name__}")
        mean, var = ref.spherical_mle(X)
        sq = ((X - X.mean(axis=0)) ** 2).sum()
        expect_close(got[0], mean, f"spherical_mle(X)[0] (the mean), X of shape {X.shape}")
        expect_close(got[1], var, f"spherical_mle(X)[1] (the variance), X of shape {X.shape}", mistakes=[
            Mistake(sq / n, "divided by n instead of n·d: each of the d features contributes a squared deviation"),
            Mistake(sq / ((n - 1) * d), "divided by (n−1)·d; the MLE divides by n·d"),
            Mistake(X.var(axis=0), "returned one variance per feature; the spherical model shares one"),
        ])


@points(7)
def test_spherical_log_likelihood(student, rng):
    """spherical_log_likelihood: equals the sum of log N(x_i; mean, var·I) from scipy.stats"""
    for n, d in [(1, 1), (50, 4), (300, 12)]:
        X = rng.normal(size=(n, d))
        mean, var = rng.normal(size=d), float(rng.uniform(0.2, 4.0))
        expected = np.sum(stats.multivariate_normal(mean, var * np.eye(d)).logpdf(X))
        sq = ((X - mean) ** 2).sum()
        got = student.spherical_log_likelihood(X, mean, var)
        expect_close(got, expected, f"spherical_log_likelihood with X of shape {X.shape}", mistakes=[
            Mistake(-0.5 * n * np.log(2 * np.pi * var) - 0.5 * sq / var,
                    "the normalising constant was counted once per sample; it is −(d/2)·log(2π·var) per sample"),
            Mistake(expected / n, "returned the mean; the spec asks for the sum over samples"),
        ])
