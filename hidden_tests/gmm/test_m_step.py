"""gmm, part 3: the M-step (10 points)."""
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


def check_m_step(student, X, resp, covariance_type, reg_covar, what, got=None):
    n, k = resp.shape
    X2 = X.reshape(n, -1)
    d = X2.shape[1]
    got = student.m_step(X, resp, covariance_type, reg_covar) if got is None else got
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


@points(4)
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


def from_full(covariance_type, covs):
    """The "diag" or "spherical" covariances that full covariance matrices give: their diagonals, or the
    mean of each diagonal (reg_covar included either way)."""
    diagonals = np.stack([np.diag(c) for c in np.asarray(covs, dtype=float)])
    return diagonals if covariance_type == "diag" else diagonals.mean(axis=1)


def check_like_full(student, carry, X, resp, covariance_type, reg, what):
    """:func:`check_m_step`; when the full case fails its own test, the same formulas' mistakes are charged
    there, and here the answer must be your own full answer's diagonal (or its mean)."""
    got = student.m_step(X, resp, covariance_type, reg)

    def own(module):
        expect(isinstance(got, (tuple, list)) and len(got) == 3,
               f"{what} should return (weights, means, covariances), got {type(got).__name__}")
        weights, means, covs = module.m_step(X, resp, "full", reg)
        suffix = " (against your own 'full' answer on the same data)"
        expect_close(got[0], weights, f"{what}: the weights{suffix}")
        expect_close(got[1], means, f"{what}: the means{suffix}")
        expect_close(got[2], from_full(covariance_type, covs), f"{what}: the covariances{suffix}")

    carry.check(lambda module: check_m_step(student, X, resp, covariance_type, reg, what, got=got)
                if module is None else own(module), uses={"m_step": "test_m_step_full"})


@points(3, depends={"test_m_step_full": "the same formulas as the full case"})
def test_m_step_diag(student, carry, rng):
    """m_step, diag covariances: the diagonal of the full covariance (reg_covar added)"""
    for n, d, k, reg in [(120, 3, 3, 1e-6), (200, 5, 2, 0.01)]:
        X, resp = soft_data(rng, n, d, k)
        check_like_full(student, carry, X, resp, "diag", reg,
                        f"m_step(X, resp, 'diag', reg_covar={reg:g}) with n={n}, d={d}, K={k}")


@points(2, depends={"test_m_step_full": "the same formulas as the full case"})
def test_m_step_spherical(student, carry, rng):
    """m_step, spherical covariances: the mean of the diagonal entries (reg_covar added)"""
    for n, d, k, reg in [(120, 3, 3, 1e-6), (200, 5, 2, 0.01)]:
        X, resp = soft_data(rng, n, d, k)
        check_like_full(student, carry, X, resp, "spherical", reg,
                        f"m_step(X, resp, 'spherical', reg_covar={reg:g}) with n={n}, d={d}, K={k}")


@points(1, depends={"test_m_step_full": "the same formulas as the full case"})
def test_m_step_empty_component(student, carry, rng):
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
        # when the formulas fail their own tests (charged there), the live components must be your own
        # answer without the dead column, and the dead one gets your own answer for a component of no spread
        carry.check(lambda module, args=(got, X, resp, dead, covariance_type, what): (
            check_empty(*args) if module is None else own_empty(module, *args)),
            uses={"m_step": ("test_m_step_full", f"test_m_step_{covariance_type}")})


def own_empty(module, got, X, resp, dead, covariance_type, what):
    alive = [j for j in range(resp.shape[1]) if j != dead]
    weights, means, covs = (np.asarray(v, dtype=float) for v in module.m_step(X, resp[:, alive], covariance_type,
                                                                              1e-6))
    # no spread at all: every row at 0, one-hot responsibilities; what your formula gives is reg_covar alone
    flat = module.m_step(np.zeros((4, X.shape[1])), np.eye(2)[[0, 0, 1, 1]], covariance_type, 1e-6)[2]
    nk = resp[:, alive].sum(axis=0)
    ew = np.insert(weights, dead, weights[0] * 10 * np.finfo(float).eps / nk[0])
    em = np.insert(means, dead, np.zeros(X.shape[1]), axis=0)
    ec = np.insert(covs, dead, np.asarray(flat, dtype=float)[0], axis=0)
    suffix = " (against your own answer without the empty column)"
    first = alive[0]
    for name, value, expected in [("the weights", got[0], ew), ("the means", got[1], em),
                                  ("the covariances", got[2], ec)]:
        arr = expect_array(value, f"{what}: {name}", shape=expected.shape, finite=False)
        if name == "the weights":  # relative to the first live component's: whatever they are divided by
            name, arr, expected = f"the weights relative to weight {first}", arr / arr[first], expected / expected[first]
        expect(np.all(np.isfinite(arr)), f"{what}: {name} contain NaN or inf; Nₖ = 0 gives 0/0: add scikit-learn's "
               "guard, Nₖ = Σᵢ rᵢₖ + 10·ε (ε = np.finfo(float).eps), so that the mean is 0 and the covariance "
               "reg_covar·I")
        expect_close(arr, expected, f"{what}: {name}{suffix}", atol=1e-12)


def check_empty(got, X, resp, dead, covariance_type, what):
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
