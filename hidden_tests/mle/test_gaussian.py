"""mle, part 2: the univariate Gaussian (18 points)."""
import numpy as np
from scipy import stats

from autograder.harness import Mistake, expect, expect_close, expect_scalar, fail, points, reference

ref = reference("mle")

#: The small constants students add inside a log to avoid log 0 (log(p + ε)).
COMMON_EPS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15, 1e-16, 1e-20, 1e-30, 1e-100, 1e-300,
              float(np.finfo(float).eps), float(np.finfo(float).tiny))


def gaussian_samples(rng):
    """(n, x, label): small, medium and large samples, one as a list, one far from the origin.

    Around 10⁷ with standard deviation ~1, the one-pass formula mean(x²) − mean(x)² cancels
    catastrophically (x² ~ 10¹⁴, a double's spacing there is ~0.02), while the two-pass
    mean((x − mean)²) is exact to ~1e-9.
    """
    for n in (2, 15, 1000):
        yield n, rng.normal(rng.uniform(-5, 5), rng.uniform(0.5, 3), size=n), ""
    x = rng.normal(0, 1, size=12)
    yield 12, x, " (x a list)"
    yield 500, rng.normal(rng.uniform(1e6, 1e7), rng.uniform(0.5, 2), size=500), " around 1e6–1e7"


def _pair(got, what):
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"{what} should return (mean, var), got {type(got).__name__}")
    return got


@points(3)
def test_gaussian_mle_mean(student, rng):
    """gaussian_mle: the sample mean"""
    for n, x, label in gaussian_samples(rng):
        got = _pair(student.gaussian_mle(x.tolist() if "list" in label else x), "gaussian_mle(x)")
        expect_close(got[0], ref.gaussian_mle(x)[0], f"gaussian_mle(x)[0] (the mean) with n={n}{label}",
                     rtol=1e-9)


@points(6)
def test_gaussian_mle_variance(student, rng, artifacts):
    """gaussian_mle: the variance with divisor n (not n − 1), also for data far from the origin"""
    samples = list(gaussian_samples(rng))
    x = next(x for n, x, _ in samples if n == 1000)  # the feedback's picture: kept before any check
    got = _pair(student.gaussian_mle(x), "gaussian_mle(x)")
    ref_mean, ref_var = ref.gaussian_mle(x)  # the picture's reference curve, kept beside the student's
    artifacts["mle_gaussian"] = {"x": x, "mean": got[0], "var": got[1], "ref_mean": ref_mean, "ref_var": ref_var}
    for n, x, label in samples:
        got = _pair(student.gaussian_mle(x.tolist() if "list" in label else x), "gaussian_mle(x)")
        var = ref.gaussian_mle(x)[1]
        what = f"gaussian_mle(x)[1] (the variance) with n={n}{label}"
        if "1e6" in label:
            what += " (mean(x²) − mean(x)² loses every digit here: subtract the mean first)"
        expect_close(got[1], var, what, mistakes=[
            Mistake(x.var(ddof=1), "variance divided by n−1; the MLE divides by n"),
            Mistake(x.std(), "returned the standard deviation σ̂ (its square root); the spec asks for "
                             "the variance σ̂²"),
            Mistake(x.std(ddof=1), "returned the unbiased standard deviation; the spec asks for the "
                                   "variance with divisor n"),
            Mistake(float(np.mean(x**2) - np.mean(x) ** 2),
                    "the variance was computed in one pass, and mean(x²) − mean(x)² loses every digit far "
                    "from the origin (x² ~ 1e14 here): subtract the mean first, mean((x − mean)²)"),
        ])


@points(5)
def test_gaussian_log_likelihood(student, rng):
    """gaussian_log_likelihood: equals the sum of scipy.stats.norm.logpdf"""
    for n in (1, 30, 800):
        x = rng.normal(1.0, 2.0, size=n)
        mean, var = float(rng.normal()), float(rng.uniform(0.3, 5))
        expected = stats.norm.logpdf(x, mean, np.sqrt(var)).sum()
        got = student.gaussian_log_likelihood(x.tolist() if n == 30 else x, mean, var)
        kind = " (x a list)" if n == 30 else ""
        expect_close(got, expected, f"gaussian_log_likelihood(x, mean={mean:.3f}, var={var:.3f}), "
                     f"n={n}{kind}", mistakes=[
                         Mistake(stats.norm.logpdf(x, mean, var).sum(),
                                 "var was used as the standard deviation; the scale is sqrt(var)"),
                         Mistake(expected / n, "returned the mean log-likelihood over the samples; "
                                               "the spec asks for their sum"),
                         Mistake(expected + 0.5 * n * np.log(2 * np.pi), "the −(n/2)·log(2π) constant is missing"),
                     ])


def own_far_value(module, x, mean, var, shift, what):
    """Your own gaussian_log_likelihood(x, mean, var) predicted from its values near the mean.

    The log-likelihood of the samples moved by j·sqrt(var) is a quadratic in j (a sum of
    quadratics in x − mean), for the right formula and for any formula of the same form: its values
    at j = 0, 1, 2 (the samples moved to within a few standard deviations of the mean, where
    nothing underflows) give it at j = ``shift``; a fourth value checks that it is a quadratic."""
    sd = var ** 0.5
    f = [float(module.gaussian_log_likelihood(x - (shift - j) * sd, mean, var)) for j in range(4)]
    if not all(np.isfinite(f)):
        fail(f"{what}: your own gaussian_log_likelihood is not finite near the mean either ({f})")
    d1, d2, d3 = f[1] - f[0], f[2] - 2 * f[1] + f[0], f[3] - 3 * f[2] + 3 * f[1] - f[0]
    if abs(d3) > 1e-9 * max(1.0, max(abs(v) for v in f)):
        fail(f"{what}: your own gaussian_log_likelihood near the mean is not a quadratic in the "
             "samples' position (a density added to before its log?), so its value far out cannot be "
             "predicted from it")
    return f[0] + shift * d1 + shift * (shift - 1) / 2 * d2


@points(4)
def test_gaussian_log_likelihood_far_out(student, carry, rng):
    """gaussian_log_likelihood stays finite and exact far in the tails (computed in log space)

    Carries forward: with your own gaussian_log_likelihood failing its test, the expected value is
    your own formula's, extended from the samples moved near the mean (a quadratic in the shift)."""
    n = 20
    x = rng.normal(0, 1, size=n) + 60.0
    mean, var = 0.0, 1.0
    expected = stats.norm.logpdf(x, mean, 1.0).sum()
    got = expect_scalar(student.gaussian_log_likelihood(x, mean, var),
                        "gaussian_log_likelihood 60 standard deviations out", finite=False)
    # every density underflows to 0 here: log(pdf + ε) gives n·log(ε + 0) = n·log ε
    eps_hints = [Mistake(n * np.log(eps), f"the density was computed first and ε = {eps:g} added "
                                          "before its log: log(p + ε) floors each term at log ε. "
                                          "Write the log-density directly: −½ log(2π var) − (x − μ)²/(2 var)")
                 for eps in COMMON_EPS]
    what = "gaussian_log_likelihood 60 standard deviations out"

    def compare(module):
        if module is None:
            expect_close(got, expected, what, mistakes=[
                Mistake(-np.inf, "the density was computed first and its log taken after: exp(−1800) "
                                 "underflows to 0; write the log-density directly"),
                *eps_hints,
            ])
        else:
            expect_close(got, own_far_value(module, x, mean, var, 60, what), what + ", compared with your "
                         "own gaussian_log_likelihood near the mean, extended 60 standard deviations out")

    carry.check(compare, uses={"gaussian_log_likelihood": "test_gaussian_log_likelihood"})
