"""gmm, part 6: model selection — n_parameters, bic, aic, select_n_components (11 points)."""
import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

from autograder.harness import Mistake, expect, expect_array, expect_close, expect_equal, fail, points
from datasets import random_gmm, sample_gmm

SHAPES = {"full": lambda k, d: (k, d, d), "diag": lambda k, d: (k, d), "spherical": lambda k, d: (k,)}


def sklearn_n_parameters(k, d, covariance_type):
    gm = GaussianMixture(k, covariance_type=covariance_type)
    gm.means_ = np.zeros((k, d))
    return gm._n_parameters()


@points(3)
def test_n_parameters(student, rng):
    """n_parameters: K−1 weights + K·d means + the covariance entries, as scikit-learn counts them"""
    for covariance_type in ("full", "diag", "spherical"):
        for k, d in [(1, 1), (2, 2), (int(rng.integers(3, 7)), int(rng.integers(3, 9)))]:
            expected = sklearn_n_parameters(k, d, covariance_type)
            cov = {"full": k * d * (d + 1) // 2, "diag": k * d, "spherical": k}[covariance_type]
            mistakes = [
                Mistake(expected - (k - 1), "the K−1 free weights were not counted (they sum to 1, so K−1 are free)"),
                Mistake(expected + 1, "counted K weights; they sum to 1, so only K−1 are free"),
                Mistake(expected - k * d, "the K·d mean entries were not counted"),
            ]
            if covariance_type == "full" and d > 1:
                mistakes.append(Mistake(expected - cov + k * d * d,
                                        "counted d² entries per covariance; a symmetric matrix has d(d+1)/2"))
            got = expect_array(student.n_parameters(k, d, covariance_type),
                               f"n_parameters({k}, {d}, {covariance_type!r})", kind="iu")
            expect(got.size == 1, f"n_parameters({k}, {d}, {covariance_type!r}): expected one integer, "
                                  f"got an array of shape {got.shape}")
            expect_equal(got.reshape(()), expected, f"n_parameters({k}, {d}, {covariance_type!r})",
                         mistakes=mistakes)


def sklearn_with(model, k, d, covariance_type, what):
    """A scikit-learn GaussianMixture holding the student's fitted parameters."""
    weights = expect_array(model.weights_, f"{what}: weights_", shape=(k,))
    means = expect_array(model.means_, f"{what}: means_", shape=(k, d))
    covs = expect_array(model.covariances_, f"{what}: covariances_", shape=SHAPES[covariance_type](k, d))
    gm = GaussianMixture(k, covariance_type=covariance_type)
    gm.weights_, gm.means_, gm.covariances_ = weights, means, covs
    try:
        gm.precisions_cholesky_ = _compute_precision_cholesky(covs, covariance_type)
    except ValueError:
        fail(f"{what}: the fitted covariances_ are not positive definite")
    gm.n_features_in_ = d
    gm.converged_, gm.n_iter_, gm.lower_bound_ = True, 1, 0.0
    return gm


@points(4)
def test_bic_aic(student, rng):
    """bic and aic: scikit-learn's for the model's own fitted parameters, on the training data and on new data"""
    for covariance_type, k, d in [("full", 3, 2), ("diag", 2, 3), ("spherical", 4, 2)]:
        w, m, c = random_gmm(k, d, covariance_type=covariance_type, separation=3.0, rng=rng)
        X, _ = sample_gmm(300, w, m, c, covariance_type=covariance_type, rng=rng)
        X_new, _ = sample_gmm(120, w, m, c, covariance_type=covariance_type, rng=rng)
        model = student.GaussianMixtureEM(k, covariance_type=covariance_type, weights_init=w, means_init=m,
                                          covariances_init=c)
        model.fit(X)
        what = f"GaussianMixtureEM({k}, covariance_type={covariance_type!r}) fitted on 300 samples in {d}-D"
        gm = sklearn_with(model, k, d, covariance_type, what)
        p = gm._n_parameters()
        for name, data in [("the training data", X), ("120 new samples", X_new)]:
            n = len(data)
            log_lik = gm.score(data) * n
            expected = gm.bic(data)
            expect_close(model.bic(data), expected, f"{what}: bic({name})", mistakes=[
                Mistake(-expected, "the sign is flipped: BIC = −2·Σᵢ log p(xᵢ) + p·log n, lower is better "
                                   "(R's mclust reports the negative)"),
                Mistake(2 * log_lik + p * np.log(n), "the log-likelihood term has the wrong sign: "
                                                     "BIC = −2·Σᵢ log p(xᵢ) + p·log n"),
                Mistake(expected - (k - 1) * np.log(n), "the K−1 free weights were not counted in p"),
                Mistake(-2 * log_lik / n + p * np.log(n), "used the mean log-likelihood; BIC uses the total"),
                Mistake(-2 * log_lik + p * np.log(len(X)), "n must be the number of rows of the X given to bic"),
            ])
            expected = gm.aic(data)
            expect_close(model.aic(data), expected, f"{what}: aic({name})", mistakes=[
                Mistake(-expected, "the sign is flipped: AIC = −2·Σᵢ log p(xᵢ) + 2p, lower is better"),
                Mistake(expected - 2 * (k - 1), "the K−1 free weights were not counted in p"),
                Mistake(-2 * log_lik + p, "the penalty is 2p, not p"),
            ])


@points(4)
def test_select_n_components(student, rng):
    """select_n_components: recovers the true K of synthetic data by BIC (2 well-separated clusters, then 1 cluster)"""
    # Only K = 1 and K = 2 are fitted: Lloyd's algorithm can never leave one of 2 clusters empty,
    # whereas with K ≥ 3 a uniform k-means start (allowed by the spec) empties a cluster in about
    # 0.2 % of runs, and an M-step without scikit-learn's + 10·eps then divides 0 by 0.
    # Margins in BIC units (lower is better), measured over 300 seeds of exactly these data for the
    # reference, for an independent implementation with uniform k-means starts, and for
    # scikit-learn's best of 5 starts at tol 1e-6 (about the most any EM fit can gain):
    # - two clusters ≥ 6 standard deviations apart: BIC(1) − BIC(2) ≥ 876 (median 1345);
    # - one Gaussian: BIC(2) − BIC(1) = 28·log 800 − 2·(log-likelihood gained by a second
    #   component) = 187 − 2·gain ≥ 133 for the reference and the independent implementation,
    #   ≥ 93 (median 131) for scikit-learn's best fit.
    d, n = 6, 800
    cases = []
    w, m, c = random_gmm(2, d, separation=6.0, rng=rng)
    cases.append((sample_gmm(n, w, m, c, rng=rng)[0], "2 clusters", [2, 1], 2))
    w, m, c = random_gmm(1, d, rng=rng)
    cases.append((sample_gmm(n, w, m, c, rng=rng)[0], "1 Gaussian", [1, 2], 1))
    for X, truth, candidates, expected in cases:
        seed = int(rng.integers(2**31))
        what = f"select_n_components(X, {candidates}, random_state={seed}) on {n} samples of {truth} in {d}-D"
        got = expect_array(student.select_n_components(X, candidates, random_state=seed), what, kind="iu")
        expect(got.size == 1, f"{what}: expected one integer, got an array of shape {got.shape}")
        expect_equal(got.reshape(()), expected, what, mistakes=[
            Mistake(3 - expected, "returned the candidate with the highest BIC; lower BIC is better"),
            Mistake(0, "returned the position of the best candidate in the list, not the candidate itself"),
        ])
