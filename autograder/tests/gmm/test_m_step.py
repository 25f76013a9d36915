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
    minus_one = np.stack([(resp[:, j, None] * (X2 - em[j])).T @ (X2 - em[j]) / (nk[j] - 1) for j in range(k)])
    if covariance_type != "full":
        minus_one = np.stack([np.diag(c) for c in minus_one])
        if covariance_type == "spherical":
            minus_one = minus_one.mean(axis=1)
    mistakes.append(Mistake(minus_one + reg_covar * eye,
                            "the covariances were divided by Nₖ − 1 (the unbiased estimate); the M-step's "
                            "maximum-likelihood covariance divides by Nₖ"))
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


@points(5)
def test_m_step_full(student, rng):
    """m_step, full covariances: weights Nₖ/n, means, covariances (divisor Nₖ, reg_covar added) as scikit-learn's"""
    for n, d, k, reg in [(100, 2, 3, 1e-6), (300, 4, 2, 1e-6), (150, 3, 4, 0.01), (120, 3, 2, 0.0)]:
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


@points(1)
def test_m_step_empty_component(student, rng):
    """m_step: a component with no responsibility gets mean 0 and covariance reg_covar·I (Nₖ + 10·ε), no NaN"""
    X, resp = soft_data(rng, 90, 3, 3)
    dead = int(rng.integers(3))
    resp[:, dead] = 0.0
    resp /= resp.sum(axis=1, keepdims=True)
    for covariance_type in ("full", "diag", "spherical"):
        what = (f"m_step(X, resp, {covariance_type!r}, reg_covar=1e-6) with resp[:, {dead}] = 0 "
                f"(component {dead} has no responsibility)")
        got = student.m_step(X, resp, covariance_type, 1e-6)
        expect(isinstance(got, (tuple, list)) and len(got) == 3,
               f"{what} should return (weights, means, covariances), got {type(got).__name__}")
        ew, em, ec = sklearn_m_step(X, resp, covariance_type, 1e-6)
        for name, value, expected in [("the weights", got[0], ew), ("the means", got[1], em),
                                      ("the covariances", got[2], ec)]:
            arr = expect_array(value, f"{what}: {name}", shape=expected.shape, finite=False)
            expect(np.all(np.isfinite(arr)),
                   f"{what}: {name} contain NaN or inf; Nₖ = 0 gives 0/0: add scikit-learn's guard, "
                   f"Nₖ = Σᵢ rᵢₖ + 10·ε (ε = np.finfo(float).eps), so that the mean is 0 and the "
                   f"covariance reg_covar·I")
            expect_close(arr, expected, f"{what}: {name}", atol=1e-12)
        # its weight is tiny but defined: (0 + 10·ε) / Σⱼ Nⱼ
        weight = expect_array(got[0], f"{what}: the weights", shape=ew.shape)[dead]
        expect_close(weight, ew[dead], f"{what}: the weight of component {dead}, N_{dead} / Σⱼ Nⱼ with "
                                       f"N_{dead} = 0 + 10·ε", rtol=1e-6, atol=0, mistakes=[
            Mistake(0.0, "the weight of a component with no responsibility is 0: the guard belongs to Nₖ itself "
                         "(Nₖ = Σᵢ rᵢₖ + 10·ε), which the weights divide too")])


@points(3)
def test_m_step_diag(student, rng):
    """m_step, diag covariances: the diagonal of the full covariance (reg_covar added)"""
    for n, d, k, reg in [(120, 3, 3, 1e-6), (200, 5, 2, 0.01)]:
        X, resp = soft_data(rng, n, d, k)
        check_m_step(student, X, resp, "diag", reg, f"m_step(X, resp, 'diag', reg_covar={reg:g}) with n={n}, d={d}, K={k}")


@points(2)
def test_m_step_spherical(student, rng):
    """m_step, spherical covariances: the mean of the diagonal entries (reg_covar added)"""
    for n, d, k, reg in [(120, 3, 3, 1e-6), (200, 5, 2, 0.01)]:
        X, resp = soft_data(rng, n, d, k)
        check_m_step(student, X, resp, "spherical", reg,
                     f"m_step(X, resp, 'spherical', reg_covar={reg:g}) with n={n}, d={d}, K={k}")
