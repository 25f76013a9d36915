"""mle, part 1: the Bernoulli MLE and log-likelihood (20 points)."""
import numpy as np
from scipy import stats

from autograder.harness import Mistake, expect_close, points, reference

ref = reference("mle")


@points(6)
def test_bernoulli_mle(student, rng):
    """bernoulli_mle: the fraction of ones, on fresh samples of several sizes"""
    for n, theta in [(1, 0.5), (7, 0.3), (200, rng.uniform(0.05, 0.95)), (5000, 0.02)]:
        x = (rng.random(n) < theta).astype(int)
        got = student.bernoulli_mle(x)
        expect_close(got, ref.bernoulli_mle(x), f"bernoulli_mle(x) with n={n}", mistakes=[
            Mistake(x.sum(), "returned the number of ones; the MLE is their fraction (divide by n)"),
            Mistake(1 - x.mean(), "returned the fraction of zeros; θ is P(x = 1)"),
        ])


@points(6)
def test_bernoulli_log_likelihood(student, rng):
    """bernoulli_log_likelihood: equals the sum of scipy.stats.bernoulli.logpmf"""
    for n in (1, 10, 500):
        x = (rng.random(n) < 0.4).astype(int)
        theta = float(rng.uniform(0.05, 0.95))
        expected = stats.bernoulli.logpmf(x, theta).sum()
        got = student.bernoulli_log_likelihood(x, theta)
        expect_close(got, expected, f"bernoulli_log_likelihood(x, θ={theta:.4f}) with n={n}", mistakes=[
            Mistake(expected / n, "returned the mean log-likelihood; the spec asks for the sum"),
            Mistake(np.sum(x * np.log(theta)), "the (1 − x)·log(1 − θ) term is missing"),
            Mistake(np.exp(expected), "returned the likelihood, not its logarithm"),
        ])


@points(8)
def test_bernoulli_zero_log_zero(student, rng):
    """bernoulli_log_likelihood at θ = 0 and θ = 1: 0·log 0 = 0, −inf only for impossible samples"""
    n = int(rng.integers(3, 20))
    zeros, ones = np.zeros(n, dtype=int), np.ones(n, dtype=int)
    mixed = np.r_[zeros[:2], ones[:2]]
    nan_hint = Mistake(np.nan, "0·log 0 came out as NaN: it must count as 0 (scipy.special.xlogy / "
                               "xlog1py do exactly that)")
    cases = [(zeros, 0.0, 0.0, "all zeros with θ = 0 (every sample certain)"),
             (ones, 1.0, 0.0, "all ones with θ = 1 (every sample certain)"),
             (mixed, 0.0, -np.inf, "a 1 with θ = 0 (an impossible sample)"),
             (mixed, 1.0, -np.inf, "a 0 with θ = 1 (an impossible sample)")]
    for x, theta, expected, what in cases:
        got = student.bernoulli_log_likelihood(x, theta)
        expect_close(got, expected, f"bernoulli_log_likelihood for {what}", mistakes=[nan_hint])
