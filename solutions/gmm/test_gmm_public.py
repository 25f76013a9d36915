"""Public sanity checks for the ``gmm`` assignment.

Run them from this folder with

    python -m pytest -q test_gmm_public.py

They only check shapes, types, normalisation and small examples whose answer
can be worked out by hand. Passing them does not mean full marks: the
autograder checks the values against the specification on other data.
"""
import math

import numpy as np
import pytest

import gmm


@pytest.fixture
def blobs():
    """Two well-separated 2-D clusters of 60 points each (no randomness in the test)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(60, 2)) * 0.5 + [-4.0, 0.0]
    b = rng.normal(size=(60, 2)) * 0.5 + [4.0, 1.0]
    return np.vstack([a, b])


# ---------------------------------------------------------------- kmeans


def test_kmeans_two_obvious_clusters():
    # Points 0, 1 and 10, 11 on a line, starting centres 0 and 10:
    # the clusters are {0, 1} and {10, 11}, centres 0.5 and 10.5.
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    centers, labels = gmm.kmeans(X, 2, init_centers=np.array([[0.0], [10.0]]))
    assert np.asarray(centers).shape == (2, 1)
    np.testing.assert_allclose(np.asarray(centers).ravel(), [0.5, 10.5])
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])


def test_kmeans_shapes_without_init(blobs):
    # Without init_centers: K centres of dimension d, one integer label in 0..K-1 per row.
    centers, labels = gmm.kmeans(blobs, 3, rng=0)
    labels = np.asarray(labels)
    assert np.asarray(centers).shape == (3, 2)
    assert labels.shape == (120,)
    assert np.issubdtype(labels.dtype, np.integer)
    assert labels.min() >= 0 and labels.max() <= 2


# ---------------------------------------------------------------- densities


def test_log_gaussian_prob_standard_normal_at_mean():
    # N(0; 0, I_2) = 1 / (2 pi), so its log is -log(2 pi) for every covariance type.
    X = np.zeros((1, 2))
    means = np.zeros((1, 2))
    expected = -math.log(2 * math.pi)
    for covariance_type, cov in [("full", np.eye(2)[None]), ("diag", np.ones((1, 2))),
                                 ("spherical", np.ones(1))]:
        got = np.asarray(gmm.log_gaussian_prob(X, means, cov, covariance_type))
        assert got.shape == (1, 1)
        np.testing.assert_allclose(got[0, 0], expected, rtol=1e-12)


def test_log_gaussian_prob_one_dimension():
    # 1-D X means d = 1. At x = 1 with mean 0 and variance 4:
    # log N = -0.5 log(2 pi * 4) - 1/8.
    got = np.asarray(gmm.log_gaussian_prob(np.array([1.0]), np.zeros((1, 1)),
                                           np.full((1, 1, 1), 4.0), "full"))
    np.testing.assert_allclose(got.ravel(), [-0.5 * math.log(8 * math.pi) - 0.125], rtol=1e-12)


def test_log_gaussian_prob_shape_and_finite_far_away(blobs):
    # (n, K) values, finite even 1000 standard deviations from every mean.
    means = np.array([[-4.0, 0.0], [4.0, 1.0], [0.0, 0.0]])
    covs = np.stack([np.eye(2)] * 3)
    far = np.vstack([blobs, [[1000.0, -1000.0]]])
    got = np.asarray(gmm.log_gaussian_prob(far, means, covs, "full"))
    assert got.shape == (121, 3)
    assert np.all(np.isfinite(got))


# ---------------------------------------------------------------- E-step, M-step


def test_e_step_responsibilities_sum_to_one(blobs):
    # resp is (n, K), in [0, 1], each row sums to 1; the log-likelihood is one finite number.
    weights = np.array([0.5, 0.3, 0.2])
    means = np.array([[-4.0, 0.0], [4.0, 1.0], [0.0, 0.0]])
    covs = np.stack([np.eye(2)] * 3)
    resp, ll = gmm.e_step(blobs, weights, means, covs, "full")
    resp = np.asarray(resp)
    assert resp.shape == (120, 3)
    assert np.all(resp >= 0) and np.all(resp <= 1)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-10)
    assert np.isfinite(float(ll))


def test_e_step_one_component_is_the_sum_of_log_densities(blobs):
    # With a single component every responsibility is 1 and the log-likelihood
    # is the sum of the log-densities (the total, not the mean).
    means = np.zeros((1, 2))
    covs = np.eye(2)[None] * 4.0
    resp, ll = gmm.e_step(blobs, np.ones(1), means, covs, "full")
    np.testing.assert_allclose(np.asarray(resp), 1.0)
    total = np.asarray(gmm.log_gaussian_prob(blobs, means, covs, "full")).sum()
    np.testing.assert_allclose(float(ll), total, rtol=1e-10)


def test_m_step_from_hard_assignments():
    # One-hot resp: weights are the group fractions, means the group means and the
    # "full" covariance of {0, 2} (divisor N_k = 2) is 1, plus reg_covar.
    X = np.array([[0.0], [2.0], [10.0], [10.0]])
    resp = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    weights, means, covs = gmm.m_step(X, resp, "full", reg_covar=1e-6)
    np.testing.assert_allclose(np.asarray(weights), [0.5, 0.5])
    np.testing.assert_allclose(np.asarray(means).ravel(), [1.0, 10.0])
    np.testing.assert_allclose(np.asarray(covs).ravel(), [1.0 + 1e-6, 1e-6], rtol=1e-9)


def test_m_step_shapes_and_weights_sum_to_one(blobs):
    # Shapes are scikit-learn's: (K,), (K, d) and (K, d, d) / (K, d) / (K,).
    rng = np.random.default_rng(1)
    resp = rng.uniform(size=(120, 3))
    resp /= resp.sum(axis=1, keepdims=True)
    shapes = {"full": (3, 2, 2), "diag": (3, 2), "spherical": (3,)}
    for covariance_type, shape in shapes.items():
        weights, means, covs = gmm.m_step(blobs, resp, covariance_type)
        assert np.asarray(weights).shape == (3,)
        assert np.asarray(means).shape == (3, 2)
        assert np.asarray(covs).shape == shape
        np.testing.assert_allclose(np.sum(weights), 1.0, rtol=1e-10)


# ---------------------------------------------------------------- model selection


def test_n_parameters_worked_examples():
    # K = 2, d = 2: 1 weight + 4 means + covariance entries:
    # full 2 * 3 = 6 -> 11; diag 2 * 2 = 4 -> 9; spherical 2 -> 7.
    assert gmm.n_parameters(2, 2, "full") == 11
    assert gmm.n_parameters(2, 2, "diag") == 9
    assert gmm.n_parameters(2, 2, "spherical") == 7


def test_select_n_components_returns_a_candidate(blobs):
    # Two clear clusters: the answer is one of the candidates (it should be 2).
    k = gmm.select_n_components(blobs, [1, 2, 3], random_state=0)
    assert int(k) in (1, 2, 3)


def test_select_n_components_validation_returns_a_candidate_and_needs_X_val(blobs):
    # With criterion="validation" the K is chosen on held-out data X_val (here: every other
    # row held out); without X_val that criterion is a ValueError that names X_val.
    k = gmm.select_n_components(blobs[::2], [1, 2, 3], criterion="validation", random_state=0,
                                X_val=blobs[1::2])
    assert int(k) in (1, 2, 3)
    with pytest.raises(ValueError, match="X_val"):
        gmm.select_n_components(blobs, [1, 2], criterion="validation", random_state=0)


# ---------------------------------------------------------------- soft k-means


def test_soft_kmeans_one_round_by_hand():
    # Points 0 and 2 on a line, centres starting on them, beta = ln(3)/4: exp(-beta * 2²) = 1/3,
    # so the responsibilities are (3/4, 1/4) for the point 0 and (1/4, 3/4) for the point 2,
    # and after one round the centres are 3/4·0 + 1/4·2 = 0.5 and 1/4·0 + 3/4·2 = 1.5.
    X = np.array([[0.0], [2.0]])
    centers, resp = gmm.soft_kmeans(X, 2, math.log(3) / 4, init_centers=np.array([[0.0], [2.0]]),
                                    max_iter=1)
    np.testing.assert_allclose(np.asarray(centers).ravel(), [0.5, 1.5], rtol=1e-12)
    assert np.asarray(resp).shape == (2, 2)


def test_soft_kmeans_shapes_and_rows_sum_to_one(blobs):
    # (K, d) centres and (n, K) responsibilities whose rows sum to 1, also far from every
    # centre (log space: exp(-beta * 10⁶) underflows to 0).
    centers, resp = gmm.soft_kmeans(blobs, 3, 2.0, rng=0)
    assert np.asarray(centers).shape == (3, 2)
    np.testing.assert_allclose(np.asarray(resp).sum(axis=1), 1.0, rtol=1e-10)
    far = blobs + 1000.0
    centers, resp = gmm.soft_kmeans(far, 2, 1.0, init_centers=np.array([[0.0, 0.0], [1.0, -1.0]]), max_iter=1)
    assert np.all(np.isfinite(resp)) and np.all(np.isfinite(centers))
    np.testing.assert_allclose(np.asarray(resp).sum(axis=1), 1.0, rtol=1e-10)


def test_soft_kmeans_resp_is_e_step_with_equal_weights_and_variance_1_over_2beta(blobs):
    # The responsibilities are those of your e_step with weights 1/K and spherical
    # covariances sigma² = 1/(2 beta), at the returned centres.
    beta = 0.7
    centers, resp = gmm.soft_kmeans(blobs, 3, beta, rng=1, max_iter=2)
    expected, _ = gmm.e_step(blobs, np.full(3, 1 / 3), centers, np.full(3, 1 / (2 * beta)), "spherical")
    np.testing.assert_allclose(np.asarray(resp), np.asarray(expected), rtol=1e-8, atol=1e-12)


# ---------------------------------------------------------------- the estimator


def test_fit_returns_self_and_sets_attributes(blobs):
    model = gmm.GaussianMixtureEM(n_components=2, random_state=0)
    assert model.fit(blobs) is model
    assert np.asarray(model.weights_).shape == (2,)
    assert np.asarray(model.means_).shape == (2, 2)
    assert np.asarray(model.covariances_).shape == (2, 2, 2)
    np.testing.assert_allclose(np.sum(model.weights_), 1.0, rtol=1e-10)
    assert isinstance(model.log_likelihood_history_, list)
    assert len(model.log_likelihood_history_) == model.n_iter_ >= 1
    assert model.converged_ in (True, False)


def test_log_likelihood_never_decreases(blobs):
    # EM never decreases the log-likelihood (up to rounding), here over 30 iterations
    # started from random responsibilities.
    model = gmm.GaussianMixtureEM(n_components=3, init_params="random", tol=0.0,
                                  max_iter=30, random_state=0).fit(blobs)
    history = np.asarray(model.log_likelihood_history_, dtype=float)
    assert history.shape == (30,)
    assert np.all(np.diff(history) >= -1e-8 * np.abs(history[1:]))


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_predict_methods_shapes(blobs, covariance_type):
    # predict_proba (n, K) rows summing to 1; predict (n,) integers; score_samples (n,);
    # score is their mean.
    model = gmm.GaussianMixtureEM(2, covariance_type=covariance_type, random_state=0).fit(blobs)
    proba = np.asarray(model.predict_proba(blobs))
    assert proba.shape == (120, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-10)
    labels = np.asarray(model.predict(blobs))
    assert labels.shape == (120,) and np.issubdtype(labels.dtype, np.integer)
    log_density = np.asarray(model.score_samples(blobs))
    assert log_density.shape == (120,) and np.all(np.isfinite(log_density))
    np.testing.assert_allclose(float(model.score(blobs)), log_density.mean(), rtol=1e-10)


def test_bic_and_aic_definitions(blobs):
    # bic = -2 sum log p + p log n, aic = -2 sum log p + 2 p, p = n_parameters = 11.
    model = gmm.GaussianMixtureEM(2, random_state=0).fit(blobs)
    total = float(np.sum(model.score_samples(blobs)))
    np.testing.assert_allclose(float(model.bic(blobs)), -2 * total + 11 * math.log(120), rtol=1e-10)
    np.testing.assert_allclose(float(model.aic(blobs)), -2 * total + 22, rtol=1e-10)


def test_sample_shapes_and_reproducibility(blobs):
    # sample returns (X, z); the same int random_state gives the same draws.
    a = gmm.GaussianMixtureEM(2, random_state=3).fit(blobs)
    b = gmm.GaussianMixtureEM(2, random_state=3).fit(blobs)
    Xa, za = a.sample(50)
    Xb, zb = b.sample(50)
    assert np.asarray(Xa).shape == (50, 2) and np.asarray(za).shape == (50,)
    assert set(np.asarray(za).tolist()) <= {0, 1}
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(za, zb)


def test_fit_one_dimensional_data():
    # A 1-D X is n samples of dimension 1: means (K, 1), full covariances (K, 1, 1).
    x = np.concatenate([np.linspace(-6, -4, 40), np.linspace(4, 6, 40)])
    model = gmm.GaussianMixtureEM(2, random_state=0).fit(x)
    assert np.asarray(model.means_).shape == (2, 1)
    assert np.asarray(model.covariances_).shape == (2, 1, 1)
    np.testing.assert_allclose(np.sort(np.asarray(model.means_).ravel()), [-5.0, 5.0], atol=1e-6)
