"""gmm, part 3: the M-step (11 points)."""
import numpy as np
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters

from autograder.harness import Mistake, expect, expect_array, expect_close, points, reference

ref = reference("gmm")


def soft_data(rng, n, d, k):
    """Clustered data and random soft responsibilities (rows sum to 1, every N_k well above 0)."""
    centres = rng.normal(scale=3.0, size=(k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d)
    resp = rng.dirichlet(np.full(k, 0.7), size=n)
    return X, resp


def sklearn_m_step(X, resp, covariance_type, reg_covar):
    """scikit-learn's M-step. Its N_k carries + 10·eps (a guard against 0/0); weights = N_k / Σ N_k."""
    nk, means, covs = _estimate_gaussian_parameters(X, resp, reg_covar, covariance_type)
    return nk / nk.sum(), means, covs


def check_m_step(student, X, resp, covariance_type, reg_covar, what):
    n, k = resp.shape
    X2 = X.reshape(n, -1)
    d = X2.shape[1]
    got = student.m_step(X, resp, covariance_type, reg_covar)
    expect(isinstance(got, (tuple, list)) and len(got) == 3,
           f"{what} should return (weights, means, covariances), got {type(got).__name__}")
    ew, em, ec = sklearn_m_step(X2, resp, covariance_type, reg_covar)
    nk = resp.sum(axis=0)
    expect_close(got[0], ew, f"{what}: the weights", mistakes=[
        Mistake(nk / k, "the weights were divided by K; πₖ = Nₖ / n (n samples, Nₖ = Σᵢ rᵢₖ)"),
        Mistake(nk, "the weights are Nₖ; divide by the number of samples n"),
        Mistake(np.full(k, 1 / k), "the weights stayed uniform; πₖ = Nₖ / n"),
    ])
    expect_close(got[1], em, f"{what}: the means", mistakes=[
        Mistake(resp.T @ X2 / n, "the means were divided by n; divide Σᵢ rᵢₖ xᵢ by Nₖ"),
    ])
    eye = np.eye(d) if covariance_type == "full" else 1.0
    raw = ec - reg_covar * eye  # without reg_covar
    mistakes = [Mistake(raw, "reg_covar was not added to the variances (the diagonal)")]
    if covariance_type == "full":
        by_n = np.stack([(resp[:, j, None] * (X2 - em[j])).T @ (X2 - em[j]) / n for j in range(k)])
        mistakes.append(Mistake(by_n + reg_covar * eye,
                                "the covariances were divided by n; divide Σᵢ rᵢₖ (xᵢ − μₖ)(xᵢ − μₖ)ᵀ by Nₖ"))
        mistakes.append(Mistake(np.stack([np.diag(np.diag(c)) for c in ec]),
                                "only the variances were kept; a full covariance has off-diagonal entries"))
    if covariance_type == "spherical":
        diag_raw = sklearn_m_step(X2, resp, "diag", 0.0)[2]
        mistakes.append(Mistake(diag_raw.sum(axis=1) + reg_covar,
                                "the spherical variance is the sum of the d variances; it is their mean"))
        mistakes.append(Mistake(diag_raw.sum(axis=1) + d * reg_covar,
                                "the spherical variance is the sum of the d variances; it is their mean"))
    expect_close(got[2], ec, f"{what}: the covariances", mistakes=mistakes)
    # the reference agrees too
    expect_close(got[2], ref.m_step(X, resp, covariance_type, reg_covar)[2], f"{what}: the covariances")


@points(6)
def test_m_step_full(student, rng):
    """m_step, full covariances: weights Nₖ/n, means, covariances (divisor Nₖ, reg_covar added) as scikit-learn's"""
    for n, d, k, reg in [(100, 2, 3, 1e-6), (300, 4, 2, 1e-6), (150, 3, 4, 0.01)]:
        X, resp = soft_data(rng, n, d, k)
        check_m_step(student, X, resp, "full", reg,
                     f"m_step(X, resp, 'full', reg_covar={reg:g}) with n={n}, d={d}, K={k}")
    # a 1-D X means d = 1
    X, resp = soft_data(rng, 80, 1, 2)
    got = student.m_step(X[:, 0], resp, "full", 1e-6)
    expect(isinstance(got, (tuple, list)) and len(got) == 3,
           f"m_step should return (weights, means, covariances), got {type(got).__name__}")
    expect_array(got[1], "m_step for a 1-D X (80 samples, K=2): the means", shape=(2, 1))
    expect_array(got[2], "m_step for a 1-D X (80 samples, K=2): the covariances", shape=(2, 1, 1))
    check_m_step(student, X[:, 0], resp, "full", 1e-6, "m_step for a 1-D X (80 samples, K=2)")


@points(5)
def test_m_step_diag_spherical(student, rng):
    """m_step, diag and spherical covariances: the diagonal, and the mean of the diagonal (reg_covar added)"""
    for covariance_type in ("diag", "spherical"):
        for n, d, k, reg in [(120, 3, 3, 1e-6), (200, 5, 2, 0.01)]:
            X, resp = soft_data(rng, n, d, k)
            check_m_step(student, X, resp, covariance_type, reg,
                         f"m_step(X, resp, {covariance_type!r}, reg_covar={reg:g}) with n={n}, d={d}, K={k}")
