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
        ]
        if rule == "scott":
            hints.append(Mistake(float(np.std(X, ddof=1)) * factor,
                                 "σ̄ was the standard deviation of all entries pooled (around one grand "
                                 "mean); average the per-feature variances instead"))
    if rule == "silverman":
        hints += silverman_variants(X)
    return hints


#: Silverman's rule of thumb as textbooks and libraries write it in 1-D: c·σ·n^(−1/5)
SILVERMAN_CONSTANTS = (0.9, 1.05, 1.06)


def silverman_variants(X):
    """Other rules called "Silverman's", X of shape (n, d): a constant c·σ̄·n^(−1/(d+4)) (with σ̄
    of divisor n − 1 or n), the robust 0.9·min(σ, IQR/1.34)·n^(−1/5) (1-D), and σ̄ pooled over all
    coordinates (d > 1). Values that coincide are named in one message."""
    n, d = X.shape
    spec = ("the spec's Silverman bandwidth is σ̄ times (n(d + 2)/4) to the power −1/(d + 4)")
    found = []
    for c in SILVERMAN_CONSTANTS:
        for ddof, divisor in ((1, ""), (0, ", with variances of divisor n")):
            found.append((c * sigma_bar(X, ddof) * n ** (-1.0 / (d + 4)),
                          f"the constant {c:g} of Silverman's rule {c:g}·σ·n^(−1/5){divisor} was used; "
                          + spec + " (in 1-D (4/3)^(1/5)·σ·n^(−1/5), about 1.0592·σ·n^(−1/5))"))
    if d == 1:
        x = X[:, 0]
        iqr = np.subtract(*np.percentile(x, [75, 25]))
        found.append((0.9 * min(x.std(ddof=1), iqr / 1.34) * n ** -0.2,
                      "that is Silverman's robust rule 0.9·min(σ, IQR/1.34)·n^(−1/5); " + spec))
    else:
        found.append((float(np.std(X, ddof=1)) * silverman_factor(n, d),
                      "σ̄ was the standard deviation of all entries pooled (around one grand mean); "
                      "average the per-feature variances instead"))
    merged = []
    for value, message in found:
        for i, (v, m) in enumerate(merged):
            if np.isclose(v, value, rtol=1e-6, atol=0):
                merged[i] = (v, m + "; or " + message)
                break
        else:
            merged.append((value, message))
    return [Mistake(v, m) for v, m in merged]


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


def first_failed(carry, function, tests):
    """``{function: test}`` for the first of ``tests`` that failed on a value (else the first)."""
    for test in tests:
        if carry.own_failures({function: test}):
            return {function: test}
    return {function: tests[0]}


def ratio(n, d):
    """silverman_bandwidth(X) / scott_bandwidth(X) by the spec: the same σ̄, another factor."""
    return silverman_factor(n, d) / scott_factor(n, d)


@points(5)
def test_silverman_bandwidth_1d(student, carry, rng):
    """silverman_bandwidth in 1-D: the kernel standard deviation of scipy.stats.gaussian_kde(x, "silverman")

    Carries forward from scott_bandwidth (σ̄ is shared): with your own scott_bandwidth failing its
    1-D test, the expected value is your own scott_bandwidth(x) times the factors' ratio."""
    for n in (2, 9, 100, 1000):
        x = rng.normal(rng.uniform(-5, 5), rng.uniform(0.2, 5.0), size=n)
        expected = scipy_bandwidth_1d(x, "silverman")
        got = student.silverman_bandwidth(x)
        what = f"silverman_bandwidth(x) for n={n} (x 1-D)"

        def compare(module, x=x, n=n, got=got, expected=expected, what=what):
            if module is None:
                expect_close(got, expected, what, mistakes=bandwidth_mistakes(x[:, None], "silverman"))
            else:
                expect_close(got, module.scott_bandwidth(x) * ratio(n, 1), what + ", compared with your own "
                             "scott_bandwidth(x) times (3/4)^(−1/5) (the same σ̄, Silverman's factor)")

        carry.check(compare, uses={"scott_bandwidth": "test_scott_bandwidth_1d"})


def check_d_dimensions(student, carry, rng, rule):
    for n, d in [(30, 2), (200, 3), (500, 6), (25, 3)]:
        # features of different spreads and centres, so that the ways of pooling them differ
        X = rng.normal(size=(n, d)) * rng.uniform(0.3, 4.0, size=d) + rng.uniform(-10, 10, size=d)
        expected = sigma_bar(X) * FACTORS[rule](n, d)
        as_list = n == 25
        got = getattr(student, f"{rule}_bandwidth")(X.tolist() if as_list else X)
        what = f"{rule}_bandwidth(X) with X of shape {X.shape}" + (" (a list of lists)" if as_list else "")

        def compare(module, X=X, n=n, d=d, got=got, expected=expected, what=what):
            if module is None:
                expect_close(got, expected, what, mistakes=bandwidth_mistakes(X, rule))
            elif rule == "scott":  # σ̄ from your own 1-D scott_bandwidth of each feature
                spreads = [module.scott_bandwidth(X[:, j]) / scott_factor(n, 1) for j in range(d)]
                expect_close(got, float(np.sqrt(np.mean(np.square(spreads)))) * scott_factor(n, d),
                             what + ", compared with σ̄ from your own 1-D scott_bandwidth of each feature")
            else:
                expect_close(got, module.scott_bandwidth(X) * ratio(n, d), what + ", compared with your "
                             "own scott_bandwidth(X) times ((d+2)/4)^(−1/(d+4)) (the same σ̄)")

        uses = ({"scott_bandwidth": "test_scott_bandwidth_1d"} if rule == "scott" else
                first_failed(carry, "scott_bandwidth", ["test_scott_bandwidth_1d",
                                                        "test_scott_bandwidth_in_d_dimensions"]))
        carry.check(compare, uses=uses)


@points(3, depends={"test_scott_bandwidth_1d": "the same rule as in 1-D"})
def test_scott_bandwidth_in_d_dimensions(student, carry, rng):
    """scott_bandwidth in d = 2, 3, 6: σ̄ times n^(−1/(d+4))

    Carries forward: with your own scott_bandwidth failing its 1-D test, σ̄ is computed from your
    own 1-D scott_bandwidth of each feature."""
    check_d_dimensions(student, carry, rng, "scott")


@points(2, depends={"test_silverman_bandwidth_1d": "the same rule as in 1-D",
                    "test_scott_bandwidth_in_d_dimensions": "σ̄ as in Scott's rule"})
def test_silverman_bandwidth_in_d_dimensions(student, carry, rng):
    """silverman_bandwidth in d = 2, 3, 6: σ̄ times (n(d+2)/4)^(−1/(d+4))

    Carries forward from scott_bandwidth (σ̄ is shared): your own scott_bandwidth(X) times the
    factors' ratio."""
    check_d_dimensions(student, carry, rng, "silverman")


def scaling_uses(carry, rule):
    """What check_scaling carries forward from: your own {rule}_bandwidth when it failed one of its
    tests, else (for silverman) your own scott_bandwidth when that failed one of its tests (σ̄ is
    shared); and how to compute your own value from the module."""
    name = f"{rule}_bandwidth"
    mine = [f"test_{name}_1d", f"test_{name}_in_d_dimensions"]
    if rule == "silverman" and not any(carry.own_failures({name: t}) for t in mine):
        scott = ["test_scott_bandwidth_1d", "test_scott_bandwidth_in_d_dimensions"]
        if any(carry.own_failures({"scott_bandwidth": t}) for t in scott):
            return (first_failed(carry, "scott_bandwidth", scott),
                    lambda module, X: module.scott_bandwidth(X) * ratio(*np.shape(X)))
    return first_failed(carry, name, mine), lambda module, X: getattr(module, name)(X)


def check_scaling(student, carry, rng, rule):
    name = f"{rule}_bandwidth"
    uses, own_value = scaling_uses(carry, rule)
    X = rng.normal(size=(150, 2))
    for c in (float(rng.uniform(5, 50)), float(rng.uniform(0.01, 0.1))):
        Xc = c * X
        got = getattr(student, name)(Xc)

        def compare(module, c=c, Xc=Xc, got=got):
            fn = getattr(ref, name) if module is None else (lambda X: own_value(module, X))
            own = "" if module is None else "your own "
            expect_close(got, c * fn(X), f"{name}(c·X) for c = {c:.4g} (should be c times {own}"
                         f"{name}(X) = {fn(X):.6g})",
                         mistakes=bandwidth_mistakes(Xc, rule) if module is None else ())

        carry.check(compare, uses=uses)
    # far from the origin (around 1e6): a one-pass variance mean(x²) − mean(x)² loses every digit
    Xf = X + rng.uniform(1e6, 1e7, size=2)
    got = getattr(student, name)(Xf)

    def compare(module):
        fn = getattr(ref, name) if module is None else (lambda X: own_value(module, X))
        own = "" if module is None else "your own "
        expect_close(got, fn(X), f"{name}(X + c) for a shift c around 1e6–1e7 (should equal {own}"
                     f"{name}(X) = {fn(X):.6g}: a shift changes no variance)", rtol=1e-6,
                     mistakes=bandwidth_mistakes(Xf, rule) if module is None else ())

    carry.check(compare, uses=uses)


@points(2, depends={"test_scott_bandwidth_1d": "the same rule as in 1-D", "test_scott_bandwidth_in_d_dimensions": "the rule in d dimensions"})
def test_scott_bandwidth_scales_with_the_data(student, carry, rng):
    """scott_bandwidth scales with the data (X times c gives h times c) and ignores a shift

    Carries forward: with your own scott_bandwidth failing its 1-D or d-dimensional test, the
    expected values are those of your own scott_bandwidth(X), times c (or unchanged by a shift)."""
    check_scaling(student, carry, rng, "scott")


@points(1, depends={"test_silverman_bandwidth_1d": "the same rule as in 1-D",
                    "test_silverman_bandwidth_in_d_dimensions": "the rule in d dimensions"})
def test_silverman_bandwidth_scales_with_the_data(student, carry, rng):
    """silverman_bandwidth scales with the data (X times c gives h times c) and ignores a shift

    Carries forward: with your own silverman_bandwidth failing its 1-D or d-dimensional test, the
    expected values are those of your own silverman_bandwidth(X), times c (or unchanged by a shift)."""
    check_scaling(student, carry, rng, "silverman")
