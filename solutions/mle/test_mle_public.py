"""Public sanity checks for ``mle.py``.

Run them in this folder with ``pytest test_mle_public.py`` (or
``make check ASSIGNMENT=mle`` from the kit root). Passing them does not mean
full marks: the autograder checks much more (values on random data, edge
cases, numerical stability).
"""
import math

import numpy as np

import mle


def test_bernoulli_mle_worked_example():
    # Three ones out of four samples: theta = 3/4, returned as a float.
    theta = mle.bernoulli_mle([1, 0, 1, 1])
    assert isinstance(theta, float)
    assert math.isclose(theta, 0.75)


def test_bernoulli_log_likelihood_worked_example():
    # Two ones and a zero with theta = 1/2: 3 * log(1/2).
    ll = mle.bernoulli_log_likelihood([1, 1, 0], 0.5)
    assert math.isclose(ll, 3 * math.log(0.5))


def test_bernoulli_log_likelihood_edges():
    # 0 log 0 = 0: all ones with theta = 1 is certain (log-likelihood 0);
    # a one with theta = 0 is impossible (log-likelihood -inf).
    assert mle.bernoulli_log_likelihood([1, 1, 1], 1.0) == 0.0
    assert mle.bernoulli_log_likelihood([1, 0, 0], 0.0) == -math.inf


def test_gaussian_mle_uses_divisor_n():
    # x = [1, 2, 3, 4]: mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
    mean, var = mle.gaussian_mle([1.0, 2.0, 3.0, 4.0])
    assert math.isclose(mean, 2.5)
    assert math.isclose(var, 1.25)


def test_gaussian_log_likelihood_single_point():
    # One sample at the mean of N(0, 1): log N(0; 0, 1) = -log(2 pi) / 2.
    ll = mle.gaussian_log_likelihood([0.0], 0.0, 1.0)
    assert math.isclose(ll, -0.5 * math.log(2 * math.pi))


def test_gaussian_density_integrates_to_one():
    # exp(log N(x; 1, 4)) summed over a fine grid (Riemann sum) is about 1.
    grid = np.linspace(-19.0, 21.0, 4001)
    step = grid[1] - grid[0]
    dens = [math.exp(mle.gaussian_log_likelihood([g], 1.0, 4.0)) for g in grid]
    assert abs(sum(dens) * step - 1.0) < 1e-6


def test_mvn_mle_shapes_and_values():
    # Four corners of a square around (1, 2): mean (1, 2), covariance I (divisor n).
    X = np.array([[0.0, 1.0], [2.0, 1.0], [0.0, 3.0], [2.0, 3.0]])
    mean, cov = mle.mvn_mle(X)
    assert np.shape(mean) == (2,)
    assert np.shape(cov) == (2, 2)
    assert np.allclose(mean, [1.0, 2.0])
    assert np.allclose(cov, np.eye(2))


def test_mvn_mle_1d_input_means_one_feature():
    # A 1-D array is n samples of one feature: mean (1,), cov (1, 1).
    mean, cov = mle.mvn_mle([1.0, 2.0, 3.0, 4.0])
    assert np.shape(mean) == (1,)
    assert np.shape(cov) == (1, 1)
    assert np.allclose(cov, [[1.25]])


def test_mvn_logpdf_standard_normal_at_origin():
    # log N(0; 0, I_3) = -3/2 log(2 pi); one value per row, shape (n,).
    logp = mle.mvn_logpdf(np.zeros((2, 3)), np.zeros(3), np.eye(3))
    assert np.shape(logp) == (2,)
    assert np.allclose(logp, -1.5 * math.log(2 * math.pi))


def test_mvn_logpdf_finite_and_matches_1d_gaussian():
    # With d = 1, mvn_logpdf summed over samples equals gaussian_log_likelihood.
    x = np.array([-3.0, -0.5, 0.0, 2.0, 10.0])
    logp = mle.mvn_logpdf(x.reshape(-1, 1), [0.5], [[2.0]])
    assert np.all(np.isfinite(logp))
    assert math.isclose(np.sum(logp), mle.gaussian_log_likelihood(x, 0.5, 2.0))


def test_spherical_mle_worked_example():
    # Rows (0, 0) and (2, 4): mean (1, 2), var = (1 + 4 + 1 + 4) / (2 * 2) = 2.5.
    mean, var = mle.spherical_mle([[0.0, 0.0], [2.0, 4.0]])
    assert np.allclose(mean, [1.0, 2.0])
    assert isinstance(var, float)
    assert math.isclose(var, 2.5)


def test_spherical_log_likelihood_equals_mvn_with_scaled_identity():
    # N(mean, var I) is the multivariate normal with covariance var * I.
    X = np.array([[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]])
    mean, var = np.array([0.5, 0.0, 1.0]), 3.0
    expected = np.sum(mle.mvn_logpdf(X, mean, var * np.eye(3)))
    assert math.isclose(mle.spherical_log_likelihood(X, mean, var), expected)


def test_labeled_mixture_mle_worked_example():
    # Group 0 = {0, 2}, group 1 = {10, 11, 12}: weights (2/5, 3/5),
    # means (1, 11), variances (1, 2/3) with divisor n_k; shapes (K,), (K,d), (K,d,d).
    X = np.array([[0.0], [10.0], [2.0], [11.0], [12.0]])
    z = np.array([0, 1, 0, 1, 1])
    weights, means, covs = mle.labeled_mixture_mle(X, z, 2)
    assert np.shape(weights) == (2,)
    assert np.shape(means) == (2, 1)
    assert np.shape(covs) == (2, 1, 1)
    assert np.allclose(weights, [0.4, 0.6])
    assert np.allclose(means, [[1.0], [11.0]])
    assert np.allclose(covs, [[[1.0]], [[2.0 / 3.0]]])


# Sanity checks of gaussian_kl and monte_carlo_kl: small examples worked out by hand and the
# properties every KL divergence has. The hidden tests check much more (random Gaussians in
# several dimensions, d = 200, an ill-conditioned covariance, the lecture's claim on a grid).

def test_kl_gaussian_kl_worked_example_1d():
    # p = N(0, 1), q = N(1, 2): 1/2 [1/2 + (1 - 0)^2 / 2 - 1 + log 2 - log 1] = log(2) / 2.
    kl = mle.gaussian_kl(0.0, 1.0, 1.0, 2.0)
    assert isinstance(kl, float)
    assert math.isclose(kl, 0.5 * math.log(2))


def test_kl_gaussian_kl_is_not_symmetric():
    # The other way round, q = N(1, 2) to p = N(0, 1): 1/2 [2 + 1 - 1 + 0 - log 2] = 1 - log(2) / 2.
    assert math.isclose(mle.gaussian_kl(1.0, 2.0, 0.0, 1.0), 1 - 0.5 * math.log(2))


def test_kl_gaussian_kl_of_a_gaussian_from_itself_is_zero():
    mean, cov = np.array([1.0, -2.0]), np.array([[2.0, 0.5], [0.5, 1.0]])
    assert abs(mle.gaussian_kl(mean, cov, mean, cov)) < 1e-12
    assert abs(mle.gaussian_kl(3.0, 0.5, 3.0, 0.5)) < 1e-12


def test_kl_gaussian_kl_of_independent_features_adds_up():
    # Diagonal covariances: the features are independent and the KL is the sum of the 1-D ones.
    kl = mle.gaussian_kl([0.0, 1.0], np.diag([1.0, 3.0]), [1.0, 0.0], np.diag([2.0, 0.5]))
    assert math.isclose(kl, mle.gaussian_kl(0.0, 1.0, 1.0, 2.0) + mle.gaussian_kl(1.0, 3.0, 0.0, 0.5))


def test_kl_monte_carlo_kl_worked_example():
    # The mean of log_p - log_q = (1, 0, 2): 1 (the mean, not the sum).
    assert math.isclose(mle.monte_carlo_kl([-1.0, -2.0, -3.0], [-2.0, -2.0, -5.0]), 1.0)


def test_kl_monte_carlo_kl_is_close_to_gaussian_kl_for_many_samples():
    # 200,000 samples from p = N(0, 1) (a fixed seed): the estimate is within 0.01 of log(2) / 2
    # (its standard deviation here is sqrt(0.375 / 200,000) ≈ 0.0014).
    x = np.random.default_rng(0).normal(size=200_000)
    log_p = mle.mvn_logpdf(x, [0.0], [[1.0]])
    log_q = mle.mvn_logpdf(x, [1.0], [[2.0]])
    assert abs(mle.monte_carlo_kl(log_p, log_q) - 0.5 * math.log(2)) < 0.01
