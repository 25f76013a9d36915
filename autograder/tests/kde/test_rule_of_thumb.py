"""kde, part 2: rule-of-thumb bandwidths, Scott and Silverman (18 points)."""
import numpy as np
from scipy import stats
from sklearn.neighbors import KernelDensity

from autograder.harness import Mistake, expect_close, points, reference

ref = reference("kde")


def scott_factor(n, d):
    return n ** (-1.0 / (d + 4))


def silverman_factor(n, d):
    return (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))


FACTORS = {"scott": scott_factor, "silverman": silverman_factor}


def sigma_bar(X, ddof=1):
    """The spec's σ̄ = sqrt(mean over features of the variance (divisor n − ddof))."""
    return float(np.sqrt(np.mean(np.var(X, axis=0, ddof=ddof))))


def bandwidth_mistakes(X, rule):
    """Wrong bandwidths of the typical mistakes, X of shape (n, d)."""
    n, d = X.shape
    factor = FACTORS[rule](n, d)
    other = "silverman" if rule == "scott" else "scott"
    sd = sigma_bar(X)
    hints = [
        Mistake(sigma_bar(X, ddof=0) * factor,
                "σ̄ used variances with divisor n; the spec's σ̄ uses the sample variance with divisor "
                "n − 1 (np.var(X, axis=0, ddof=1))"),
        Mistake(KernelDensity(bandwidth=rule).fit(X).bandwidth_,
                f"returned the bare factor, like scikit-learn's KernelDensity(bandwidth={rule!r}), "
                "whose bandwidth_ is not scaled by the data's spread; multiply the factor by σ̄"),
        Mistake(sd**2 * factor, "σ̄² (a variance) was used where σ̄ (a standard deviation) belongs"),
        Mistake(sd * FACTORS[other](n, d), f"that is the {other.capitalize()} factor; "
                                           f"{rule}_bandwidth uses the {rule.capitalize()} factor"),
    ]
    if d > 1:
        hints += [
            Mistake(sd * factor ** ((d + 4) / 5), "the 1-D exponent −1/5 was used; in d dimensions "
                                                  "it is −1/(d+4)"),
            Mistake(sd * FACTORS[rule](n, 1), "the 1-D factor was used; in d dimensions it is "
                                              f"{'n' if rule == 'scott' else '(n(d+2)/4)'}^(−1/(d+4))"),
            Mistake(float(np.mean(np.std(X, axis=0, ddof=1))) * factor,
                    "σ̄ was the mean of the features' standard deviations; it is the square root of "
                    "the mean of their variances"),
            Mistake(float(np.sqrt(np.sum(np.var(X, axis=0, ddof=1)))) * factor,
                    "σ̄ used the sum of the features' variances; it is the square root of their mean"),
            Mistake(float(np.std(X, ddof=1)) * factor,
                    "σ̄ was the standard deviation of all entries pooled (around one grand mean); "
                    "average the per-feature variances instead"),
        ]
    if d == 1 and rule == "silverman":
        x = X[:, 0]
        iqr = np.subtract(*np.percentile(x, [75, 25]))
        hints.append(Mistake(0.9 * min(x.std(ddof=1), iqr / 1.34) * n ** -0.2,
                             "that is Silverman's robust rule 0.9·min(σ, IQR/1.34)·n^(−1/5); the spec's "
                             "is σ̄·(n(d+2)/4)^(−1/(d+4))"))
    return hints


def scipy_bandwidth_1d(x, rule):
    """The kernel standard deviation of scipy.stats.gaussian_kde(x, rule), x 1-D."""
    return float(np.sqrt(stats.gaussian_kde(x, rule).covariance[0, 0]))


@points(5)
def test_scott_bandwidth_1d(student, rng):
    """scott_bandwidth in 1-D: the kernel standard deviation of scipy.stats.gaussian_kde(x, "scott")"""
    for n in (2, 9, 100, 1000):
        x = rng.normal(rng.uniform(-5, 5), rng.uniform(0.2, 5.0), size=n)
        expected = scipy_bandwidth_1d(x, "scott")
        got = student.scott_bandwidth(x)
        expect_close(got, expected, f"scott_bandwidth(x) for n={n} (x 1-D)",
                     mistakes=bandwidth_mistakes(x[:, None], "scott"))


@points(5)
def test_silverman_bandwidth_1d(student, rng):
    """silverman_bandwidth in 1-D: the kernel standard deviation of scipy.stats.gaussian_kde(x, "silverman")"""
    for n in (2, 9, 100, 1000):
        x = rng.normal(rng.uniform(-5, 5), rng.uniform(0.2, 5.0), size=n)
        expected = scipy_bandwidth_1d(x, "silverman")
        got = student.silverman_bandwidth(x)
        expect_close(got, expected, f"silverman_bandwidth(x) for n={n} (x 1-D)",
                     mistakes=bandwidth_mistakes(x[:, None], "silverman"))


def check_d_dimensions(student, rng, rule):
    for n, d in [(30, 2), (200, 3), (500, 6), (25, 3)]:
        # features of different spreads and centres, so that the ways of pooling them differ
        X = rng.normal(size=(n, d)) * rng.uniform(0.3, 4.0, size=d) + rng.uniform(-10, 10, size=d)
        expected = sigma_bar(X) * FACTORS[rule](n, d)
        as_list = n == 25
        got = getattr(student, f"{rule}_bandwidth")(X.tolist() if as_list else X)
        expect_close(got, expected, f"{rule}_bandwidth(X) with X of shape {X.shape}"
                     + (" (a list of lists)" if as_list else ""), mistakes=bandwidth_mistakes(X, rule))


@points(3)
def test_scott_bandwidth_in_d_dimensions(student, rng):
    """scott_bandwidth in d = 2, 3, 6: σ̄ times n^(−1/(d+4))"""
    check_d_dimensions(student, rng, "scott")


@points(2)
def test_silverman_bandwidth_in_d_dimensions(student, rng):
    """silverman_bandwidth in d = 2, 3, 6: σ̄ times (n(d+2)/4)^(−1/(d+4))"""
    check_d_dimensions(student, rng, "silverman")


def check_scaling(student, rng, rule):
    X = rng.normal(size=(150, 2))
    fn = getattr(ref, f"{rule}_bandwidth")
    for c in (float(rng.uniform(5, 50)), float(rng.uniform(0.01, 0.1))):
        Xc = c * X
        got = getattr(student, f"{rule}_bandwidth")(Xc)
        expect_close(got, c * fn(X), f"{rule}_bandwidth(c·X) for c = {c:.4g} (should be c times "
                     f"{rule}_bandwidth(X) = {fn(X):.6g})", mistakes=bandwidth_mistakes(Xc, rule))
    # far from the origin (around 1e6): a one-pass variance mean(x²) − mean(x)² loses every digit
    Xf = X + rng.uniform(1e6, 1e7, size=2)
    got = getattr(student, f"{rule}_bandwidth")(Xf)
    expect_close(got, fn(X), f"{rule}_bandwidth(X + c) for a shift c around 1e6–1e7 (should equal "
                 f"{rule}_bandwidth(X) = {fn(X):.6g}: a shift changes no variance)", rtol=1e-6,
                 mistakes=bandwidth_mistakes(Xf, rule))


@points(2)
def test_scott_bandwidth_scales_with_the_data(student, rng):
    """scott_bandwidth scales with the data (X times c gives h times c) and ignores a shift"""
    check_scaling(student, rng, "scott")


@points(1)
def test_silverman_bandwidth_scales_with_the_data(student, rng):
    """silverman_bandwidth scales with the data (X times c gives h times c) and ignores a shift"""
    check_scaling(student, rng, "silverman")
