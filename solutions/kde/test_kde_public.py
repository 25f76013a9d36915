"""Public sanity checks for ``kde.py``.

Run them in this folder with ``pytest test_kde_public.py`` (or
``make check ASSIGNMENT=kde`` from the kit root). Passing them does not mean
full marks: the autograder checks much more (values on random data, large
inputs under a memory limit, numerical stability).
"""
import math

import numpy as np

import kde

LOG_2PI = math.log(2 * math.pi)


def test_logpdf_single_training_point():
    # One kernel at the origin, h = 1, queried at the origin:
    # log N(0; 0, I_d) = -d/2 log(2 pi), here d = 2.
    logp = kde.gaussian_kde_logpdf([[0.0, 0.0]], [[0.0, 0.0]], 1.0)
    assert np.shape(logp) == (1,)
    assert np.isclose(logp[0], -LOG_2PI)


def test_logpdf_two_kernels_worked_example():
    # Kernels at 0 and 2 (h = 1), query 1 is at distance 1 from both:
    # log[(N(1; 0, 1) + N(1; 2, 1)) / 2] = -log(2 pi)/2 - 1/2.
    logp = kde.gaussian_kde_logpdf([0.0, 2.0], [1.0], 1.0)
    assert np.isclose(logp[0], -0.5 * LOG_2PI - 0.5)


def test_logpdf_shape_for_1d_input():
    # 1-D arrays mean one feature: 5 queries give 5 log-densities.
    logp = kde.gaussian_kde_logpdf(np.arange(10.0), np.linspace(0, 9, 5), 0.5)
    assert np.shape(logp) == (5,)
    assert np.all(np.isfinite(logp))


def test_logpdf_integrates_to_one():
    # The density exp(logpdf) of 1-D data integrates to about 1 (Riemann sum).
    x_train = np.array([-1.0, 0.0, 0.5, 3.0])
    grid = np.linspace(-10.0, 14.0, 24001)
    dens = np.exp(kde.gaussian_kde_logpdf(x_train, grid, 0.7))
    assert abs(np.sum(dens) * (grid[1] - grid[0]) - 1.0) < 1e-6


def test_logpdf_far_query_is_finite():
    # A query 1000 away from the only kernel (h = 0.1): exp underflows, the
    # log does not: -(1000 / 0.1)^2 / 2 - log(0.1) - log(2 pi) / 2.
    logp = kde.gaussian_kde_logpdf([0.0], [1000.0], 0.1)
    assert np.isfinite(logp[0])
    assert np.isclose(logp[0], -0.5e8 - math.log(0.1) - 0.5 * LOG_2PI)


def test_scott_bandwidth_worked_example():
    # x = [0, 2]: variance (divisor n-1) 2, so h = sqrt(2) * 2^(-1/5); a float.
    h = kde.scott_bandwidth([0.0, 2.0])
    assert isinstance(h, float)
    assert math.isclose(h, math.sqrt(2) * 2 ** (-1 / 5))


def test_silverman_bandwidth_worked_example():
    # x = [0, 2], n = 2, d = 1: h = sqrt(2) * (2 * 3 / 4)^(-1/5).
    h = kde.silverman_bandwidth([0.0, 2.0])
    assert math.isclose(h, math.sqrt(2) * 1.5 ** (-1 / 5))


def test_scott_bandwidth_averages_feature_variances():
    # Rows (0, 0), (2, 4): variances 2 and 8, mean 5, so h = sqrt(5) * 2^(-1/6).
    h = kde.scott_bandwidth([[0.0, 0.0], [2.0, 4.0]])
    assert math.isclose(h, math.sqrt(5) * 2 ** (-1 / 6))


def test_loo_two_points_worked_example():
    # Points 0 and 1, h = 1: each is scored by the other alone:
    # log N(1; 0, 1) = -log(2 pi)/2 - 1/2 for both; a float.
    loo = kde.loo_log_likelihood([0.0, 1.0], 1.0)
    assert isinstance(loo, float)
    assert math.isclose(loo, -0.5 * LOG_2PI - 0.5)


def test_select_bandwidth_two_points():
    # Two points at distance 1: the LOO log-likelihood is
    # -log h - log(2 pi)/2 - 1/(2 h^2), largest at h = 1.
    h = kde.select_bandwidth([0.0, 1.0], [0.5, 1.0, 2.0])
    assert math.isclose(h, 1.0)


def test_kde_sample_shape_and_reproducible():
    # (n_samples, d) for 2-D data and (n_samples, 1) for 1-D data; the same int
    # seed gives the same samples.
    X = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]])
    a = kde.kde_sample(X, 0.5, 7, rng=42)
    b = kde.kde_sample(X, 0.5, 7, rng=42)
    assert np.shape(a) == (7, 2)
    assert np.array_equal(a, b)
    assert np.shape(kde.kde_sample(np.arange(4.0), 0.5, 3, rng=0)) == (3, 1)


def test_kde_sample_tiny_bandwidth_stays_on_training_rows():
    # With h = 1e-9 every sample is (almost) a copy of a training row.
    X = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]])
    samples = kde.kde_sample(X, 1e-9, 50, rng=np.random.default_rng(0))
    dist = np.linalg.norm(samples[:, None, :] - X[None, :, :], axis=2).min(axis=1)
    assert np.all(dist < 1e-6)
