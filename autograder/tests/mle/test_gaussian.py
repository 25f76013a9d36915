"""mle, part 2: the univariate Gaussian (20 points)."""
import numpy as np
from scipy import stats

from autograder.harness import Mistake, expect, expect_close, expect_scalar, points, reference

ref = reference("mle")


@points(10)
def test_gaussian_mle(student, rng, artifacts):
    """gaussian_mle: the sample mean and the variance with divisor n (not n − 1)"""
    for n in (2, 15, 1000):
        x = rng.normal(rng.uniform(-5, 5), rng.uniform(0.5, 3), size=n)
        got = student.gaussian_mle(x)
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"gaussian_mle(x) should return (mean, var), got {type(got).__name__}")
        artifacts["mle_gaussian"] = {"x": x, "mean": got[0], "var": got[1]}  # the feedback's picture
        mean, var = ref.gaussian_mle(x)
        expect_close(got[0], mean, f"gaussian_mle(x)[0] (the mean) with n={n}")
        expect_close(got[1], var, f"gaussian_mle(x)[1] (the variance) with n={n}", mistakes=[
            Mistake(x.var(ddof=1), "variance divided by n−1; the MLE divides by n"),
            Mistake(x.std(), "returned the standard deviation; the spec asks for the variance"),
            Mistake(x.std(ddof=1), "returned the unbiased standard deviation; the spec asks for the "
                                   "variance with divisor n"),
        ])


@points(6)
def test_gaussian_log_likelihood(student, rng):
    """gaussian_log_likelihood: equals the sum of scipy.stats.norm.logpdf"""
    for n in (1, 30, 800):
        x = rng.normal(1.0, 2.0, size=n)
        mean, var = float(rng.normal()), float(rng.uniform(0.3, 5))
        expected = stats.norm.logpdf(x, mean, np.sqrt(var)).sum()
        got = student.gaussian_log_likelihood(x, mean, var)
        expect_close(got, expected, f"gaussian_log_likelihood(x, mean={mean:.3f}, var={var:.3f}), n={n}",
                     mistakes=[
                         Mistake(stats.norm.logpdf(x, mean, var).sum(),
                                 "var was used as the standard deviation; the scale is sqrt(var)"),
                         Mistake(expected / n, "returned the mean; the spec asks for the sum over samples"),
                         Mistake(expected + 0.5 * n * np.log(2 * np.pi), "the −(n/2)·log(2π) constant is missing"),
                     ])


@points(4)
def test_gaussian_log_likelihood_far_out(student, rng):
    """gaussian_log_likelihood stays finite and exact far in the tails (computed in log space)"""
    x = rng.normal(0, 1, size=20) + 60.0
    mean, var = 0.0, 1.0
    expected = stats.norm.logpdf(x, mean, 1.0).sum()
    got = expect_scalar(student.gaussian_log_likelihood(x, mean, var),
                        "gaussian_log_likelihood 60 standard deviations out", finite=False)
    expect_close(got, expected, "gaussian_log_likelihood 60 standard deviations out", mistakes=[
        Mistake(-np.inf, "the density was computed first and its log taken after: exp(−1800) "
                         "underflows to 0; write the log-density directly"),
    ])
