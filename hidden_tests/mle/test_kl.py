"""mle, part 6: maximum likelihood minimises the KL divergence (12 points).

Every expected KL divergence here is computed independently of the reference, in 80-bit extended
precision (``np.longdouble``: a Cholesky factorisation and triangular solves written out below,
64-bit mantissa, exponents to ±4932, so no determinant could over- or underflow either); every
Monte-Carlo estimate is the mean of given numbers, also summed in 80 bits. No test is statistical:
the samples are drawn once from the run's seed and every check is exact to a stated tolerance.
"""
import numpy as np
from scipy import stats

from autograder.harness import (Mistake, expect, expect_close, expect_scalar, points, reference,
                                same_for_every_student)
from datasets import random_spd

ref = reference("mle")
LD = np.longdouble


# ---------------------------------------------------------------------------
# the closed form in extended precision (independent of the reference)

def _cholesky80(a):
    """The lower Cholesky factor of ``a``, column by column, in 80-bit arithmetic."""
    a = np.asarray(a, dtype=LD)
    chol = np.zeros_like(a)
    for j in range(len(a)):
        chol[j, j] = np.sqrt(a[j, j] - chol[j, :j] @ chol[j, :j])
        chol[j + 1:, j] = (a[j + 1:, j] - chol[j + 1:, :j] @ chol[j, :j]) / chol[j, j]
    return chol


def _solve_lower80(chol, b):
    """``chol⁻¹ b`` by forward substitution, in 80-bit arithmetic."""
    b = np.asarray(b, dtype=LD)
    x = np.zeros_like(b)
    for i in range(len(chol)):
        x[i] = (b[i] - chol[i, :i] @ x[:i]) / chol[i, i]
    return x


@same_for_every_student
def kl_terms(mean_p, cov_p, mean_q, cov_q):
    """``(trace, maha, d, log|Σ_q|, log|Σ_p|)`` of KL(p ‖ q) in 80 bits, returned as float64 — the
    formula's terms, so a test can build the values its catalogued mistakes give."""
    mean_p, mean_q = np.atleast_1d(np.asarray(mean_p, dtype=LD)), np.atleast_1d(np.asarray(mean_q, dtype=LD))
    d = len(mean_p)
    chol_p = _cholesky80(np.reshape(cov_p, (d, d)))
    chol_q = _cholesky80(np.reshape(cov_q, (d, d)))
    trace = np.sum(_solve_lower80(chol_q, chol_p) ** 2)
    maha = np.sum(_solve_lower80(chol_q, (mean_q - mean_p)[:, None]) ** 2)
    log_det_q, log_det_p = 2 * np.sum(np.log(np.diag(chol_q))), 2 * np.sum(np.log(np.diag(chol_p)))
    return np.array([trace, maha, d, log_det_q, log_det_p], dtype=np.float64), float(
        LD(0.5) * (trace + maha - d + log_det_q - log_det_p))


def kl_extended(mean_p, cov_p, mean_q, cov_q):
    """KL(N(mean_p, cov_p) ‖ N(mean_q, cov_q)) computed in 80-bit extended precision."""
    return kl_terms(mean_p, cov_p, mean_q, cov_q)[1]


def gaussian(rng, d, cond=50.0):
    """A random mean and covariance (condition number ``cond``) in ``d`` dimensions."""
    return rng.normal(size=d), random_spd(rng, d, cond=cond)


def kl_mistakes(mean_p, cov_p, mean_q, cov_q):
    """The catalogued mistakes of the closed form, each from the formula's terms in 80 bits."""
    (trace, maha, d, log_det_q, log_det_p), kl = kl_terms(mean_p, cov_p, mean_q, cov_q)
    diff = np.asarray(mean_q, dtype=float) - np.asarray(mean_p, dtype=float)
    maha_p = float(diff @ np.linalg.solve(np.reshape(cov_p, (len(diff), len(diff))), diff))
    return [
        Mistake(kl_extended(mean_q, cov_q, mean_p, cov_p),
                "the arguments were swapped: this is KL(q ‖ p); KL(p ‖ q) has Σ_q⁻¹ in the trace and the "
                "quadratic form, and log|Σ_q| − log|Σ_p| (the divergence is not symmetric)"),
        Mistake(kl + d / 2, "the −d term is missing: ½[tr(Σ_q⁻¹Σ_p) + (μ_q − μ_p)ᵀΣ_q⁻¹(μ_q − μ_p) − d "
                            "+ log|Σ_q| − log|Σ_p|] (without it KL(p ‖ p) = d/2, not 0)"),
        Mistake(kl - (log_det_q - log_det_p), "log-determinants swapped: the formula ends with "
                                               "+ log|Σ_q| − log|Σ_p|"),
        Mistake(2 * kl, "the factor ½ is missing in front of the bracket"),
        Mistake(kl - (log_det_q - log_det_p) / 4, "log|Σ| = 2·Σ_j log L_jj for Σ = L Lᵀ: the factor 2 was "
                                                   "dropped from both log-determinants"),
        Mistake(kl - maha / 2, "the mean term (μ_q − μ_p)ᵀ Σ_q⁻¹ (μ_q − μ_p) is missing"),
        Mistake(kl + (maha_p - maha) / 2, "the quadratic form uses Σ_p⁻¹; it is (μ_q − μ_p)ᵀ Σ_q⁻¹ (μ_q − μ_p)"),
    ]


# ---------------------------------------------------------------------------
# monte_carlo_kl

def _mean80(log_p, log_q):
    return float(np.mean(np.asarray(log_p, dtype=LD) - np.asarray(log_q, dtype=LD)))


def mc_cases(rng):
    """(what, log_p, log_q, as lists?, far down?): log-densities at samples drawn from p."""
    for n, d in [(1000, 2), (50, 1), (1, 3)]:
        mean_p, cov_p = rng.normal(size=d), random_spd(rng, d, cond=5.0)
        mean_q, cov_q = mean_p + rng.normal(scale=0.3, size=d), random_spd(rng, d, cond=5.0)
        X = rng.multivariate_normal(mean_p, cov_p, size=n)
        log_p = np.atleast_1d(stats.multivariate_normal(mean_p, cov_p).logpdf(X))
        log_q = np.atleast_1d(stats.multivariate_normal(mean_q, cov_q).logpdf(X))
        what = f"monte_carlo_kl(log_p, log_q) of {n} sample{'s' if n > 1 else ''} from p, d = {d}"
        if n == 50:
            what += " (log_p and log_q lists)"
        yield what, log_p, log_q, n == 50, False
    # far down: p = N(0, s_p² I) and q = N(m, s_q² I) in d = 800, whose log-densities lie far below
    # −745, where exp() is 0 (the largest over 300 seeds: −888)
    n, d = 400, 800
    sd_p, sd_q, m = rng.uniform(0.8, 1.5), rng.uniform(0.8, 1.5), rng.normal(scale=0.1, size=d)
    X = sd_p * rng.normal(size=(n, d))
    log_p, log_q = stats.norm.logpdf(X, 0.0, sd_p).sum(axis=1), stats.norm.logpdf(X, m, sd_q).sum(axis=1)
    yield (f"monte_carlo_kl(log_p, log_q) of {n} samples from p, d = {d} (log-densities around "
           f"{np.median(log_p):.0f}: exp() of them is 0 in floating point)"), log_p, log_q, False, True


@points(2)
def test_monte_carlo_kl(student, rng):
    """monte_carlo_kl: the mean of log p − log q over the samples (lists, one sample, log-densities near −1000)"""
    for what, log_p, log_q, as_list, far in mc_cases(rng):
        args = (log_p.tolist(), log_q.tolist()) if as_list else (log_p, log_q)
        got = expect_scalar(student.monte_carlo_kl(*args), what, finite=False)
        expected = _mean80(log_p, log_q)
        with np.errstate(all="ignore"):
            weighted = np.exp(log_p) * (log_p - log_q)
        exponentiated = ("the densities were exponentiated: exp(log p) and exp(log q) are 0 in floating point "
                         "this far down, so log(p/q) is log(0/0); average log_p − log_q as given")
        expect_close(got, expected, what, mistakes=[
            Mistake(np.sum(log_p - log_q), "summed over the samples; the Monte-Carlo estimate is their mean"),
            Mistake(-expected, "log q − log p was averaged: KL(p ‖ q) averages log p(x_i) − log q(x_i) over "
                               "samples from p"),
            Mistake(np.mean(weighted), "each term was weighted by p(x_i): the samples already come from p, so "
                                       "the estimate is the plain mean of log p − log q"),
            Mistake(np.sum(weighted), "each term was weighted by p(x_i) and summed: the samples already come "
                                      "from p, so the estimate is the plain mean of log p − log q"),
            *([Mistake(np.nan, exponentiated), Mistake(np.inf, exponentiated), Mistake(-np.inf, exponentiated)]
              if far else []),
        ])


# ---------------------------------------------------------------------------
# gaussian_kl

@points(3)
def test_gaussian_kl(student, rng):
    """gaussian_kl: the closed form in d = 1–6, both ways round (KL(p‖q) ≠ KL(q‖p)), and KL(p‖p) = 0"""
    for d, label in [(2, ""), (3, " (means and covariances lists)"), (6, ""), (1, " (mean (1,), cov (1, 1))")]:
        (mean_p, cov_p), (mean_q, cov_q) = gaussian(rng, d), gaussian(rng, d)
        mean_q = mean_p + 0.5 * (mean_q - mean_p)
        for first, second, order in [((mean_p, cov_p), (mean_q, cov_q), "KL(p ‖ q)"),
                                     ((mean_q, cov_q), (mean_p, cov_p), "KL(q ‖ p), the other way round")]:
            args = (*first, *second)
            call = tuple(np.asarray(a).tolist() for a in args) if "lists" in label else args
            got = student.gaussian_kl(*call)
            expect_close(got, kl_extended(*args), f"gaussian_kl in d = {d}{label}: {order}",
                         mistakes=kl_mistakes(*args))
    for d in (1, 4):
        mean, cov = gaussian(rng, d)
        got = student.gaussian_kl(mean, cov, mean, cov)
        expect_close(got, 0.0, f"gaussian_kl(mean, cov, mean, cov) in d = {d}: KL(p ‖ p) = 0", rtol=0, atol=1e-9,
                     mistakes=kl_mistakes(mean, cov, mean, cov))


@points(1)
def test_gaussian_kl_scalars(student, carry, rng):
    """gaussian_kl with float means and variances: one dimension (d = 1)

    Carries forward: with your own gaussian_kl failing test_gaussian_kl, the expected values are your
    own gaussian_kl of the same Gaussians as arrays (means of shape (1,), covariances (1, 1))."""
    cases = []
    for _ in range(3):
        mean_p, mean_q = (float(v) for v in rng.normal(size=2))
        var_p, var_q = (float(v) for v in rng.uniform(0.2, 4.0, size=2))
        got = student.gaussian_kl(mean_p, var_p, mean_q, var_q)
        cases.append((mean_p, var_p, mean_q, var_q, got))

    def compare(module):
        for mean_p, var_p, mean_q, var_q, got in cases:
            what = f"gaussian_kl({mean_p:.3f}, {var_p:.3f}, {mean_q:.3f}, {var_q:.3f}) (floats: d = 1)"
            if module is None:
                expect_close(got, kl_extended(mean_p, var_p, mean_q, var_q), what, mistakes=[
                    Mistake(kl_extended(mean_p, var_p**2, mean_q, var_q**2),
                            "the float cov was used as a standard deviation: it is the variance σ²"),
                ])
            else:
                own = module.gaussian_kl(np.array([mean_p]), np.array([[var_p]]), np.array([mean_q]),
                                         np.array([[var_q]]))
                expect_close(got, own, what + ", compared with your own gaussian_kl of the same Gaussians "
                             "as arrays of shape (1,) and (1, 1)")

    carry.check(compare, uses={"gaussian_kl": "test_gaussian_kl"})


@points(2, depends=("test_gaussian_kl",))
def test_gaussian_kl_high_dimension(student, carry, rng):
    """gaussian_kl in d = 200: finite and exact where det(Σ) under- or overflows

    Carries forward: with your own gaussian_kl failing test_gaussian_kl, the expected values are your
    own gaussian_kl of the same Gaussians rescaled to covariances of size 1 (x → x/√s leaves the KL
    unchanged), where a determinant neither under- nor overflows."""
    d = 200
    cases = []
    for scale in (1e-3, 1e3):
        cov_p, cov_q = random_spd(rng, d, cond=5.0), random_spd(rng, d, cond=5.0)
        mean_p, mean_q = rng.normal(size=d), rng.normal(size=d)
        args = (mean_p * np.sqrt(scale), cov_p * scale, mean_q * np.sqrt(scale), cov_q * scale)
        got = expect_scalar(student.gaussian_kl(*args), f"gaussian_kl in d = {d}", finite=False)
        cases.append((scale, args, (mean_p, cov_p, mean_q, cov_q), got))

    def compare(module):
        for scale, args, unscaled, got in cases:
            what = f"gaussian_kl in d = {d} with covariance entries of size {scale:g} (det(Σ) is " + (
                "0 in floating point)" if scale < 1 else "inf in floating point)")
            if module is None:
                det = ("log|Σ_q| − log|Σ_p| was computed from det(Σ_q) and det(Σ_p), which under- or overflow "
                       "in d = 200; use 2·Σ_j log L_jj of each Cholesky factor L")
                expect_close(got, kl_extended(*args), what, rtol=1e-7, mistakes=[
                    Mistake(np.nan, det), Mistake(np.inf, det), Mistake(-np.inf, det)])
            else:
                own = expect_scalar(module.gaussian_kl(*unscaled), f"your own gaussian_kl in d = {d} with "
                                    "covariance entries of size 1")
                expect_close(got, own, what + ", compared with your own gaussian_kl of the same Gaussians "
                             "rescaled to covariances of size 1", rtol=1e-7)

    carry.check(compare, uses={"gaussian_kl": "test_gaussian_kl"})


#: how far apart the means of the ill-conditioned Gaussians are, in Σ_q's standard deviations
ILL_SCALE = 4000.0


def ill_conditioned(rng, d=6, kappa=1e9, scale=ILL_SCALE):
    """(mean_p, cov_p, mean_q, cov_q): Σ_q of condition number ~κ, μ_q − μ_p along its top two eigenvectors.

    Σ_p is Σ_q plus a positive part in the same top eigenspace. There the KL (~8e6, nearly all of
    it the quadratic form, as in test_mvn's ill-conditioned test) is well determined, and a Cholesky
    or solve-based evaluation gets it to ~1e-14 relative; an explicit inverse of Σ_q carries an
    error of ~κ·ε in its large entries, ~1e-9 relative here.
    """
    Q = np.linalg.qr(rng.normal(size=(d, d)))[0]
    lam = np.geomspace(1.0, 1.0 / kappa, d) * rng.uniform(0.5, 2.0)
    cov_q = (Q * lam) @ Q.T
    cov_q = (cov_q + cov_q.T) / 2
    top = Q[:, :2]
    cov_p = cov_q + (top * (lam[:2] * rng.uniform(0.5, 2.0, size=2))) @ top.T
    cov_p = (cov_p + cov_p.T) / 2
    u = rng.normal(size=2)
    u /= np.linalg.norm(u)
    mean_q = rng.normal(size=d)
    return mean_q + scale * top @ (u * np.sqrt(lam[:2])), cov_p, mean_q, cov_q


#: Measured on 2000 seeds (3 cases each, the largest relative error against the 80-bit value):
#: Cholesky + triangular solves (scipy or np.linalg.cholesky, or the inverse of the triangular
#: factor), cho_solve, np.linalg.solve, scipy.linalg.solve (general and assume_a="pos"), eigh and
#: lstsq all agree to ≤ 8.3e-14; an inverse of Σ_q by np.linalg.inv, scipy.linalg.inv,
#: np.linalg.pinv or from its Cholesky factor is ≥ 4.1e-11 off (and ≤ 1.7e-13 off once both
#: covariances are made well conditioned, as the positive evidence below does). 2e-12 leaves a
#: factor ≥ 20 on either side.
ILL_RTOL = 2e-12


def own_far_kl(module, args, what):
    """Your own gaussian_kl at ``args`` (ill-conditioned, the means far apart), predicted from your
    own gaussian_kl of the features in reverse order with the means close together.

    For fixed covariances the KL is a quadratic in the distance between the means (½·δᵀΣ_q⁻¹δ with
    δ = μ_q − μ_p), for the right formula and for any formula of the same form: its values with δ
    shrunk to 0 and to 1/ILL_SCALE of it (where the quadratic form is ~1) give it at δ; a third value
    (2/ILL_SCALE) checks that it is a quadratic. Reversing the features changes no KL, and a stable
    computation gives the same to ~13 digits; an explicit inverse, whose error depends on the order,
    does not."""
    mean_p, cov_p, mean_q, cov_q = args
    r = np.arange(len(mean_p))[::-1]
    delta = (mean_p - mean_q)[r]

    def own(t):
        return expect_scalar(module.gaussian_kl(mean_q[r] + t * delta, cov_p[np.ix_(r, r)], mean_q[r],
                                                cov_q[np.ix_(r, r)]),
                             f"{what}: your own gaussian_kl of the features in reverse order, the means closer")

    f0, f1, f2 = own(0.0), own(1.0 / ILL_SCALE), own(2.0 / ILL_SCALE)
    expect(abs((f2 - f0) - 4 * (f1 - f0)) <= 1e-9 * max(1.0, abs(f2 - f0)),
           f"{what}: your own gaussian_kl is not a quadratic in the distance between the means (values "
           f"{f0!r}, {f1!r}, {f2!r} at 0, 1 and 2 × 1/{ILL_SCALE:g} of it), so its value here cannot be "
           "predicted from it")
    return f0 + (f1 - f0) * ILL_SCALE**2


@points(2, depends=("test_gaussian_kl",))
def test_gaussian_kl_ill_conditioned(student, carry, rng):
    """gaussian_kl with an ill-conditioned Σ_q (condition number 1e9): Cholesky solves, not an explicit inverse

    Carries forward: with your own gaussian_kl failing test_gaussian_kl, the expected values are your
    own formula's, found from your own gaussian_kl of the features in reverse order (which changes no
    KL) with the means closer together (the KL is a quadratic in their distance): a stable
    computation gives the same to ~13 digits, an explicit inverse does not."""
    for _ in range(3):
        args = ill_conditioned(rng)
        mean_p, cov_p, mean_q, cov_q = args
        expected = kl_extended(*args)
        got = expect_scalar(student.gaussian_kl(*args), "gaussian_kl with an ill-conditioned cov_q")
        hints = []
        others = kl_mistakes(*args)
        # An explicit inverse loses digits here (measured ≥ 4.1e-11 relative over 2000 seeds, never near
        # 1e-5), a few digits no other catalogued mistake matches exactly. Named only on positive evidence
        # that the lost digits come from Σ_q's conditioning: the same Gaussians with both covariances made
        # well conditioned (Σ_q's largest eigenvalue·1e-3 added to both diagonals, condition number ≤ 1e3)
        # come back exact, so the formula is right and only the inverse is not.
        err = abs(got - expected) / abs(expected)
        matches_other = any(abs(got - m.value) <= ILL_RTOL * abs(m.value) for m in others)
        conditioning = False
        if ILL_RTOL < err < 1e-5 and not matches_other:
            shift = 1e-3 * np.linalg.eigvalsh(cov_q)[-1] * np.eye(len(mean_p))
            well = (mean_p, cov_p + shift, mean_q, cov_q + shift)
            again = expect_scalar(student.gaussian_kl(*well), "gaussian_kl with a well-conditioned cov_q")
            conditioning = abs(again - kl_extended(*well)) <= ILL_RTOL * abs(kl_extended(*well))
        if conditioning:
            hints.append(Mistake(got, "accurate to only ~{:.0f} digits: an explicit inverse of Σ_q (np.linalg.inv) "
                                      "loses digits when Σ_q is ill-conditioned; use its Cholesky factor and "
                                      "triangular solves (or a solve) instead".format(-np.log10(err))))
        what = "gaussian_kl with cov_q of condition number 1e9, mean_q − mean_p along its top eigenvectors"

        def compare(module, args=args, got=got, expected=expected, hints=hints, others=others):
            if module is None:
                expect_close(got, expected, what, rtol=ILL_RTOL, atol=0, mistakes=hints + others)
            else:
                expect_close(got, own_far_kl(module, args, what), what + ", compared with your own gaussian_kl "
                             "of the features in reverse order, extended from the means closer together",
                             rtol=ILL_RTOL, atol=0)

        carry.check(compare, uses={"gaussian_kl": "test_gaussian_kl"})


# ---------------------------------------------------------------------------
# the lecture's claim, on the student's own functions

#: the grid around the fitted Gaussian: μ̂ + a·σ̂ and b·σ̂²
GRID_MEAN = (-0.3, -0.15, 0.0, 0.15, 0.3)
GRID_VAR = (0.7, 0.85, 1.0, 1.15, 1.3)


@points(2, depends={"test_gaussian_mle_mean": "the grid is centred on your gaussian_mle",
                    "test_gaussian_mle_variance": "the grid is centred on your gaussian_mle",
                    "test_monte_carlo_kl": "the grid's values are your monte_carlo_kl"})
def test_mle_minimises_kl(student, carry, rng):
    """maximum likelihood minimises the KL divergence: of all Gaussians on a grid, gaussian_mle's has the smallest monte_carlo_kl

    The data come from a Gamma distribution (not a Gaussian), and ``log_p`` is its log-density at
    the samples. For q = N(μ, σ²) on a 5 × 5 grid around gaussian_mle's (μ̂, σ̂²), monte_carlo_kl(log_p,
    log q) must be smallest at (μ̂, σ̂²): mean(log_p) does not depend on q, so minimising the estimate
    of KL(p ‖ q) is maximising the average log-likelihood of q. No statistics: the claim holds
    exactly for every sample.

    Carries forward: with your own gaussian_mle or monte_carlo_kl failing its own test, the expected
    values are the same composition on your own (the grid around your own gaussian_mle's parameters,
    your own monte_carlo_kl on it); the claim itself then holds only for the right functions."""
    shape, scale = rng.uniform(1.5, 4.0), rng.uniform(0.5, 2.0)
    x = rng.gamma(shape, scale, size=500)
    log_p = stats.gamma.logpdf(x, shape, scale=scale)
    fitted = student.gaussian_mle(x)
    expect(isinstance(fitted, (tuple, list)) and len(fitted) == 2,
           f"gaussian_mle(x) should return (mean, var), got {type(fitted).__name__}")
    mean = expect_scalar(fitted[0], "gaussian_mle(x)[0] (the mean)")
    var = expect_scalar(fitted[1], "gaussian_mle(x)[1] (the variance)")
    expect(var > 0, f"gaussian_mle(x)[1] (the variance) is {var}: a variance is positive")
    grid = [(mean + a * np.sqrt(var), b * var) for a in GRID_MEAN for b in GRID_VAR]
    log_qs = [stats.norm.logpdf(x, m, np.sqrt(v)) for m, v in grid]
    values = np.array([expect_scalar(student.monte_carlo_kl(log_p, log_q), "monte_carlo_kl(log_p, log q) on the "
                                     "grid", finite=False) for log_q in log_qs])
    centre = len(grid) // 2
    what = (f"monte_carlo_kl(log_p, log q) for q = N(μ, σ²) on a 5 × 5 grid around gaussian_mle's "
            f"(μ̂, σ̂²) = ({mean:.4f}, {var:.4f}), {len(x)} samples from a Gamma distribution")

    def compare(module):
        if module is None and not np.all(np.delete(values, centre) > values[centre]):  # the claim first
            if np.all(np.isnan(values)):
                where = "every value is NaN"
            elif values[centre] == np.nanmin(values):
                where = "the same smallest value comes at other points of the grid too"
            else:
                best = int(np.nanargmin(values))
                where = f"it is at (μ, σ²) = ({grid[best][0]:.4f}, {grid[best][1]:.4f})"
            expect(False, f"{what}: the smallest value should be at the centre, gaussian_mle's (μ̂, σ̂²), "
                          f"and {where}")
        source = ref if module is None else module
        expect_close([mean, var], source.gaussian_mle(x), "gaussian_mle(x), the centre of the grid"
                     + ("" if module is None else ", compared with your own gaussian_mle(x)"), rtol=1e-9)
        expected = [source.monte_carlo_kl(log_p, log_q) for log_q in log_qs]
        expect_close(values, expected, what + ("" if module is None else ", compared with your own monte_carlo_kl"))

    carry.check(compare, uses={"gaussian_mle": ("test_gaussian_mle_mean", "test_gaussian_mle_variance"),
                               "monte_carlo_kl": "test_monte_carlo_kl"})
