"""gmm, part 2: Gaussian log-densities and the E-step (18 points)."""
import numpy as np
from scipy import stats
from scipy.special import logsumexp

from autograder.carry import is_own
from autograder.harness import Mistake, expect, expect_array, expect_close, points, reference
from datasets import random_spd

ref = reference("gmm")


def random_covariances(rng, k, d, covariance_type, scale=1.0):
    """Covariances in scikit-learn's shape and the same as (k, d, d) matrices."""
    if covariance_type == "full":
        covs = np.stack([random_spd(rng, d, scale=scale) for _ in range(k)])
        return covs, covs
    if covariance_type == "diag":
        covs = rng.uniform(0.3, 3.0, size=(k, d)) * scale
    else:
        covs = rng.uniform(0.3, 3.0, size=k) * scale
    return covs, as_matrices(covs, covariance_type, d)


def as_matrices(covs, covariance_type, d):
    """The (k, d, d) matrices of "diag" or "spherical" covariances given in scikit-learn's shape."""
    if covariance_type == "diag":
        return np.stack([np.diag(v) for v in covs])
    return np.stack([v * np.eye(d) for v in covs])


def scipy_log_prob(X, means, matrices):
    """(n, K) matrix of scipy.stats.multivariate_normal.logpdf."""
    X = X.reshape(len(X), -1)
    return np.stack([np.atleast_1d(stats.multivariate_normal(m, c).logpdf(X)).reshape(len(X))
                     for m, c in zip(means, matrices)], axis=1)


def log_det(matrices):
    return np.linalg.slogdet(matrices)[1]


def mahalanobis_with_sigma(X, means, matrices):
    """What log N gives with Σ in the quadratic form where Σ⁻¹ belongs: (x − μ)ᵀ Σ (x − μ)."""
    X = X.reshape(len(X), -1)
    d = X.shape[1]
    diff = X[:, None, :] - means[None]
    quad = np.einsum("nki,kij,nkj->nk", diff, matrices, diff)
    return -0.5 * (d * np.log(2 * np.pi) + log_det(matrices)[None] + quad)


@points(4)
def test_log_gaussian_prob_full(student, rng):
    """log_gaussian_prob, full covariances: equals scipy.stats.multivariate_normal.logpdf"""
    for n, d, k in [(1, 1, 1), (60, 3, 4), (200, 6, 3)]:
        X = rng.normal(scale=2.0, size=(n, d))
        means = rng.normal(size=(k, d))
        covs, matrices = random_covariances(rng, k, d, "full")
        expected = scipy_log_prob(X, means, matrices)
        got = student.log_gaussian_prob(X, means, covs, "full")
        ld = log_det(matrices)
        expect_close(got, expected, f"log_gaussian_prob(X, means, covariances, 'full') with n={n}, d={d}, K={k}",
                     mistakes=[
                         Mistake(expected + 0.5 * ld, "the −½·log|Σₖ| term is missing"),
                         Mistake(expected - 0.5 * ld, "log|Σₖ| was counted twice (or with the wrong sign)"),
                         Mistake(expected + 0.5 * (d - 1) * np.log(2 * np.pi),
                                 "log(2π) was counted once; the constant is −(d/2)·log(2π)"),
                         Mistake(expected.T, "the result is transposed: rows are samples, columns components"),
                         Mistake(mahalanobis_with_sigma(X, means, matrices),
                                 "Σ was used where Σ⁻¹ belongs: the quadratic form is (x − μ)ᵀ Σ⁻¹ (x − μ) "
                                 "(solve with the Cholesky factor of Σ, do not multiply by Σ)"),
                     ])


def check_log_gaussian_prob_diag_spherical(student, carry, rng, covariance_type):
    for n, d, k in [(1, 1, 2), (80, 4, 3)]:
        X = rng.normal(scale=2.0, size=(n, d))
        means = rng.normal(size=(k, d))
        covs, matrices = random_covariances(rng, k, d, covariance_type)
        expected = scipy_log_prob(X, means, matrices)
        ld = log_det(matrices)
        mistakes = [Mistake(expected + 0.5 * ld, "the −½·log|Σₖ| term is missing")]
        if covariance_type == "spherical" and d > 1:
            mistakes.append(Mistake(expected + 0.5 * (d - 1) * np.log(covs),
                                    "log|Σₖ| = d·log σ²ₖ for a spherical component (σ²ₖ I has d equal "
                                    "eigenvalues); log σ²ₖ was counted once"))
        # a variance used as a standard deviation: the density of variance covs²
        as_std = scipy_log_prob(X, means, as_matrices(covs ** 2, covariance_type, d))
        mistakes.append(Mistake(as_std, "the variances were used as standard deviations: "
                                        "the covariances hold variances σ², the scale is σ"))
        mistakes.append(Mistake(mahalanobis_with_sigma(X, means, matrices),
                                "Σ was used where Σ⁻¹ belongs: the quadratic form is (x − μ)ᵀ Σ⁻¹ (x − μ) "
                                "(divide by the variances, do not multiply)"))
        got = student.log_gaussian_prob(X, means, covs, covariance_type)
        what = f"log_gaussian_prob(X, means, covariances, {covariance_type!r}) with n={n}, d={d}, K={k}"
        # when the full case fails its own test, the same formula's mistake is charged there: here the
        # answer must equal your own full-covariance answer on the same matrices
        carry.check(lambda module, got=got, X=X, means=means, matrices=matrices, expected=expected,
                    mistakes=mistakes, what=what: expect_close(
                        got, expected if module is None else module.log_gaussian_prob(X, means, matrices, "full"),
                        what if module is None else f"{what} (against your own 'full' answer on the same "
                        "covariance matrices)", mistakes=mistakes if module is None else ()),
                    uses={"log_gaussian_prob": "test_log_gaussian_prob_full"})


@points(2, depends={"test_log_gaussian_prob_full": "the same formula as the full case"})
def test_log_gaussian_prob_diag(student, carry, rng):
    """log_gaussian_prob, diag covariances: equals scipy.stats.multivariate_normal.logpdf"""
    check_log_gaussian_prob_diag_spherical(student, carry, rng, "diag")


@points(2, depends={"test_log_gaussian_prob_full": "the same formula as the full case"})
def test_log_gaussian_prob_spherical(student, carry, rng):
    """log_gaussian_prob, spherical covariances: equals scipy.stats.multivariate_normal.logpdf"""
    check_log_gaussian_prob_diag_spherical(student, carry, rng, "spherical")


def own_offset(module, means, matrices):
    """Your own log_gaussian_prob's error per component, where it is a constant (a missing or doubled
    log-determinant, a wrong log 2π): your answer minus scipy's at points near the means, with the same
    covariances. Fails when the error is not constant per component (it cannot be carried then)."""
    rng = np.random.default_rng(0)
    k, d = means.shape
    Xb = np.concatenate([m + 0.5 * rng.normal(size=(4, d)) @ np.linalg.cholesky(c).T
                         for m, c in zip(means, matrices)])
    error = expect_array(module.log_gaussian_prob(Xb, means, matrices, "full"), "your own log_gaussian_prob near "
                         "the means", shape=(len(Xb), k)) - scipy_log_prob(Xb, means, matrices)
    spread = np.ptp(error, axis=0)
    expect(np.all(spread <= 1e-6 * np.maximum(1.0, np.abs(error).max(axis=0))),
           "your own log_gaussian_prob's error is not the same at every point, so it cannot be carried forward")
    return error.mean(axis=0)


FULL_TESTS = ("test_log_gaussian_prob_full",)
DIGITS_LOST = ("digits lost far from the origin: your answer is right for the same points moved to the origin; "
               "compute x − μ before squaring (never ‖x‖² − 2x·μ + ‖μ‖²), or centre the data on their mean first")


@points(2, depends={"test_log_gaussian_prob_full": "the same formula as the full case"})
def test_log_gaussian_prob_extremes(student, carry, rng):
    """log_gaussian_prob stays finite and exact far from the means, 10⁴ from the origin, for a 1-D X, and where det Σ underflows"""
    # When the formula fails its own test (full, diag, spherical), each case here is compared with your own
    # answer on a plain case: the same points shifted to the origin, the 1-D X as a column, and far from
    # the means your own error per component (error carried forward); what is charged here is precision.
    # hundreds of standard deviations from every mean: log-densities near −10⁵, no exp() anywhere.
    X = rng.normal(size=(5, 2)) + 1000.0
    means = rng.normal(size=(2, 2))
    covs, matrices = random_covariances(rng, 2, 2, "full")
    got = student.log_gaussian_prob(X, means, covs, "full")
    expected = scipy_log_prob(X, means, matrices)
    carry.check(lambda module: expect_close(
        got, expected if module is None else expected + own_offset(module, means, matrices),
        "log_gaussian_prob hundreds of standard deviations from the means"), uses={"log_gaussian_prob": FULL_TESTS})
    # unit-scale data and means 10⁴ from the origin, every covariance type: expanding
    # ‖x‖² − 2x·μ + ‖μ‖² on these values (or on data centred on anything but a point near them)
    # cancels most of the digits. atol: values near 0 are compared to 1e-6.
    for covariance_type in ("full", "diag", "spherical"):
        centre = rng.normal(size=3) + 1e4
        X = centre + rng.normal(size=(2000, 3))
        means = centre + rng.normal(size=(3, 3))
        covs, matrices = random_covariances(rng, 3, 3, covariance_type)
        got = student.log_gaussian_prob(X, means, covs, covariance_type)
        plain = scipy_log_prob(X, means, matrices)
        what = (f"log_gaussian_prob(X, means, covariances, {covariance_type!r}) with 2000 unit-scale rows and 3 "
                "means all 10⁴ from the origin")

        def far_from_origin(got=got, X=X, means=means, covs=covs, plain=plain, covariance_type=covariance_type,
                            centre=centre, what=what):
            # positive evidence of lost digits: the same points moved to the origin are right
            moved = np.asarray(student.log_gaussian_prob(X - centre, means - centre, covs, covariance_type))
            lost = moved.shape == plain.shape and bool(np.allclose(moved, plain, rtol=1e-6, atol=1e-6))
            expect_close(got, plain, what, atol=1e-6, mistakes=[Mistake(got, DIGITS_LOST)] if lost else ())

        carry.check(lambda module, got=got, X=X, means=means, covs=covs, covariance_type=covariance_type,
                    centre=centre, what=what: far_from_origin() if module is None else expect_close(
                        got, module.log_gaussian_prob(X - centre, means - centre, covs, covariance_type),
                        f"{what}, against your own answer for the same points moved to the origin", atol=1e-6),
                    uses={"log_gaussian_prob": (f"test_log_gaussian_prob_{covariance_type}",) + FULL_TESTS})
    # a 1-D X means d = 1
    x = rng.normal(size=30)
    means1, covs1 = rng.normal(size=(3, 1)), rng.uniform(0.5, 2.0, size=(3, 1, 1))
    got = expect_array(student.log_gaussian_prob(x, means1, covs1, "full"),
                       "log_gaussian_prob for a 1-D X (30 samples, d = 1, K = 3)", shape=(30, 3))
    carry.check(lambda module: expect_close(
        got, scipy_log_prob(x, means1, covs1) if module is None else
        module.log_gaussian_prob(x[:, None], means1, covs1, "full"),
        "log_gaussian_prob for a 1-D X" + ("" if module is None else " (against your own answer for the same "
                                                                      "X as one column)")),
        uses={"log_gaussian_prob": FULL_TESTS})
    # d = 60 with variances near 3e-7: det Σ ≈ 1e-390 underflows to 0, log det does not.
    d = 60
    covs, matrices = random_covariances(rng, 2, d, "full", scale=1e-7)
    means = rng.normal(size=(2, d)) * 1e-3
    X = means[0] + rng.normal(size=(4, d)) * 3e-4
    expected = scipy_log_prob(X, means, matrices)
    got = expect_array(student.log_gaussian_prob(X, means, covs, "full"),
                       f"log_gaussian_prob in d = {d} with covariance entries near 1e-7", shape=(4, 2), finite=False)
    expect(not np.any(np.isposinf(got)), "log_gaussian_prob in d = 60 with covariance entries near 1e-7 returned "
           "+inf\nLikely mistake: log|Σ| was computed as log(det(Σ)), and det(Σ) ≈ 1e-390 underflows to 0; use "
           "log|Σ| = 2·Σⱼ log Lⱼⱼ with the Cholesky factor L")
    carry.check(lambda module: expect_close(
        got, expected if module is None else expected + own_offset(module, means, matrices),
        f"log_gaussian_prob in d = {d} with covariance entries near 1e-7"), uses={"log_gaussian_prob": FULL_TESTS})


# What log(Σₖ πₖ N(xᵢ; μₖ, Σₖ) + ε) gives where every density underflows to 0: log ε, for the ε
# students add (a fixed list: the floor is recognised only when it is one of these).
EPSILONS = (1e-6, 1e-8, 1e-10, 1e-12, 1e-15, 1e-16, 1e-20, 1e-30, 1e-50, 1e-100, 1e-300,
            float(np.finfo(float).eps), float(np.finfo(float).tiny))
EPS_HINT = ("an ε was added to a sum of densities before its log (log(Σ + ε)): far from the data every "
            "density underflows to 0 and the log-density becomes the floor log ε, whatever the data; "
            "compute log p(x) with log-sum-exp of the log-densities instead")


def e_step_expected(X, weights, means, matrices):
    weighted = scipy_log_prob(X, means, matrices) + np.log(weights)
    norm = logsumexp(weighted, axis=1)
    return weighted, np.exp(weighted - norm[:, None]), norm.sum()


def check_e_step(student, carry, rng, covariance_type, n, d, k):
    centres = rng.normal(scale=3.0, size=(k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    means = centres + rng.normal(scale=0.5, size=(k, d))
    weights = rng.dirichlet(np.full(k, 3.0))
    covs, matrices = random_covariances(rng, k, d, covariance_type)
    weighted, resp, total = e_step_expected(X, weights, means, matrices)
    got = student.e_step(X, weights, means, covs, covariance_type)
    what = f"e_step(X, weights, means, covariances, {covariance_type!r}) with n={n}, d={d}, K={k}"
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"{what} should return (resp, log_likelihood), got {type(got).__name__}")
    plain = scipy_log_prob(X, means, matrices)

    def compare(module):
        if module is not None:
            # the reference's e_step on your log_gaussian_prob or, when the full case fails its own test,
            # your own e_step on the same covariances as full matrices
            full = is_own(module, "e_step") and covariance_type != "full"
            own_resp, own_total = module.e_step(X, weights, means, *((matrices, "full") if full else
                                                                     (covs, covariance_type)))
            suffix = " (against your own 'full' answer on the same covariance matrices)" if full else ""
            expect_close(got[0], own_resp, f"{what}: resp{suffix}")
            expect_close(got[1], own_total, f"{what}: the log-likelihood{suffix}")
            return
        expect_close(got[0], resp, f"{what}: resp", mistakes=[
            Mistake(np.exp(weighted - logsumexp(weighted, axis=0)),
                    "the responsibilities were normalised over the samples (each column sums to 1); "
                    "normalise each row: rᵢₖ = πₖ N(xᵢ; μₖ, Σₖ) / Σⱼ πⱼ N(xᵢ; μⱼ, Σⱼ)"),
            Mistake(np.exp(plain - logsumexp(plain, axis=1)[:, None]),
                    "the weights πₖ are missing from the responsibilities"),
            Mistake(np.exp(weighted), "the responsibilities were not normalised (rows must sum to 1)"),
        ])
        resp_got = expect_array(got[0], f"{what}: resp", shape=(n, k))
        expect_close(resp_got.sum(axis=1), np.ones(n), f"{what}: the row sums of resp", rtol=1e-9)
        expect_close(got[1], total, f"{what}: the log-likelihood", mistakes=[
            Mistake(total / n, "returned the average log-likelihood per sample; the spec asks for the total "
                               "Σᵢ log p(xᵢ)"),
            Mistake(logsumexp(plain, axis=1).sum(), "the weights πₖ are missing from the log-likelihood"),
            Mistake(weighted.max(axis=1).sum(), "took the largest term maxₖ instead of log Σₖ (log-sum-exp)"),
            Mistake(np.exp(logsumexp(weighted, axis=1)).sum(),
                    "returned the sum of the densities Σᵢ p(xᵢ), not of their logarithms Σᵢ log p(xᵢ)"),
        ])
        expect_close(got[1], ref.e_step(X, weights, means, covs, covariance_type)[1],
                     f"{what}: the log-likelihood")

    uses = {"log_gaussian_prob": (f"test_log_gaussian_prob_{covariance_type}", "test_log_gaussian_prob_full")}
    if covariance_type != "full":
        uses["e_step"] = "test_e_step_full"
    carry.check(compare, uses=uses)


@points(2, depends={"test_log_gaussian_prob_full": "e_step runs your log_gaussian_prob"})
def test_e_step_full(student, carry, rng):
    """e_step, full covariances: responsibilities (rows sum to 1) and the total log-likelihood"""
    check_e_step(student, carry, rng, "full", 150, 3, 3)


@points(2, depends={"test_log_gaussian_prob_diag": "e_step runs your log_gaussian_prob",
                    "test_e_step_full": "the same steps as the full case"})
def test_e_step_diag(student, carry, rng):
    """e_step, diag covariances: responsibilities (rows sum to 1) and the total log-likelihood"""
    check_e_step(student, carry, rng, "diag", 100, 2, 4)


@points(2, depends={"test_log_gaussian_prob_spherical": "e_step runs your log_gaussian_prob",
                    "test_e_step_full": "the same steps as the full case"})
def test_e_step_spherical(student, carry, rng):
    """e_step, spherical covariances: responsibilities (rows sum to 1) and the total log-likelihood"""
    check_e_step(student, carry, rng, "spherical", 120, 4, 2)


@points(2, depends={"test_log_gaussian_prob_extremes": "e_step runs your log_gaussian_prob"})
def test_e_step_far_away(student, carry, rng):
    """e_step far from every mean (log-densities below −8000): finite responsibilities (log-sum-exp, no 0/0)"""
    # means within a few units of 0, covariance eigenvalues ≤ 10, samples ~420 units away:
    # every log-density is below −8000, so exp() of it underflows to 0
    d, k = 2, 3
    means = rng.normal(size=(k, d))
    weights = rng.dirichlet(np.full(k, 3.0))
    covs, matrices = random_covariances(rng, k, d, "full", scale=0.5)
    X = rng.normal(size=(20, d)) + 300.0
    _, resp, total = e_step_expected(X, weights, means, matrices)
    got = student.e_step(X, weights, means, covs, "full")
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"e_step should return (resp, log_likelihood), got {type(got).__name__}")

    def own(module):  # the reference's e_step on your own log_gaussian_prob (error carried forward)
        own_resp, own_total = module.e_step(X, weights, means, covs, "full")
        expect_close(got[0], own_resp, "e_step far from every mean: resp")
        expect_close(got[1], own_total, "e_step far from every mean: the log-likelihood")

    carry.check(lambda module: far_away(got, resp, total, X) if module is None else own(module),
                uses={"log_gaussian_prob": ("test_log_gaussian_prob_full", "test_log_gaussian_prob_extremes")})


def far_away(got, resp, total, X):
    expect_close(got[0], resp, "e_step far from every mean: resp", mistakes=[
        Mistake(np.full(resp.shape, np.nan), "the densities were exponentiated before normalising: "
                "exp(−8000) underflows to 0 and 0/0 = NaN; subtract the log-sum-exp of each row in log space"),
        Mistake(np.zeros(resp.shape), EPS_HINT),
    ])
    expect_close(got[1], total, "e_step far from every mean: the log-likelihood", mistakes=[
        Mistake(-np.inf, "log Σₖ πₖ N(xᵢ; μₖ, Σₖ) was computed as log of a sum of densities that underflow "
                         "to 0: use log-sum-exp"),
    ] + [Mistake(len(X) * np.log(eps), EPS_HINT) for eps in EPSILONS])
