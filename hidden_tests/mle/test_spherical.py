"""mle, part 5: the spherical Gaussian N(mean, var·I) (13 points)."""
import numpy as np
from scipy import stats

from autograder.harness import Mistake, expect, expect_close, points, reference

ref = reference("mle")


def spherical_samples(rng):
    """(X, label): random data, one as a list of lists, one 1-D, one far from the origin."""
    for n, d in [(25, 2), (400, 7)]:
        yield rng.normal(rng.normal(size=d), rng.uniform(0.5, 2.0), size=(n, d)), ""
    yield rng.normal(size=(20, 3)), " (X a list of lists)"
    yield rng.normal(size=(30, 1)), " (X 1-D: one feature)"
    yield (rng.normal(size=(300, 4)) * rng.uniform(0.5, 2.0) + rng.uniform(1e6, 1e7, size=4),
           " around 1e6–1e7 (mean(x²) − mean² loses every digit here: centre first)")


def call_spherical_mle(student, X, label):
    arg = X.tolist() if "list" in label else X.ravel() if "1-D" in label else X
    got = student.spherical_mle(arg)
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"spherical_mle(X) should return (mean, var), got {type(got).__name__}")
    return got


@points(2)
def test_spherical_mle_mean(student, rng):
    """spherical_mle: the mean of the rows"""
    for X, label in spherical_samples(rng):
        got = call_spherical_mle(student, X, label)
        expect_close(got[0], ref.spherical_mle(X)[0], f"spherical_mle(X)[0] (the mean), X of shape "
                     f"{X.shape}{label}", rtol=1e-9)


@points(5)
def test_spherical_mle(student, rng):
    """spherical_mle: one shared variance Σ‖x_i − mean‖² / (n·d), also for data far from the origin"""
    for X, label in spherical_samples(rng):
        n, d = X.shape
        got = call_spherical_mle(student, X, label)
        var = ref.spherical_mle(X)[1]
        sq = ((X - X.mean(axis=0)) ** 2).sum()
        mistakes = [
            Mistake(sq / ((n - 1) * d), "divided by (n−1)·d; the MLE divides by n·d"),
            Mistake(X.var(axis=0), "returned one variance per feature; the spherical model shares one"),
        ]
        if d > 1:
            mistakes.append(Mistake(sq / n, "divided by n instead of n·d: each of the d features "
                                            "contributes a squared deviation"))
        expect_close(got[1], var, f"spherical_mle(X)[1] (the variance), X of shape {X.shape}{label}",
                     mistakes=mistakes)


@points(6)
def test_spherical_log_likelihood(student, rng):
    """spherical_log_likelihood: equals the sum of log N(x_i; mean, var·I) from scipy.stats (lists and 1-D X too)"""
    for n, d, label in [(1, 1, ""), (50, 4, ""), (300, 12, ""), (20, 1, " (X 1-D: one feature)"),
                        (15, 3, " (X and mean lists)")]:
        X = rng.normal(size=(n, d))
        mean, var = rng.normal(size=d), float(rng.uniform(0.2, 4.0))
        expected = np.sum(stats.multivariate_normal(mean, var * np.eye(d)).logpdf(X))
        sq = ((X - mean) ** 2).sum()
        if "1-D" in label:
            args = (X.ravel(), mean, var)
        elif "lists" in label:
            args = (X.tolist(), mean.tolist(), var)
        else:
            args = (X, mean, var)
        got = student.spherical_log_likelihood(*args)
        mistakes = [
            Mistake(expected / n, "returned the mean log-likelihood over the samples; the spec asks "
                                  "for their sum"),
            Mistake(-0.5 * n * d * np.log(2 * np.pi * var) - 0.5 * sq * var,
                    "var was used where 1/var belongs: the Mahalanobis term is ‖x − μ‖²/var "
                    "(Σ⁻¹ = I/var), not ‖x − μ‖²·var"),
        ]
        if d > 1:
            mistakes.append(Mistake(-0.5 * n * np.log(2 * np.pi * var) - 0.5 * sq / var,
                                    "the normalising constant was counted once per sample; it is "
                                    "−(d/2)·log(2π·var) per sample"))
        expect_close(got, expected, f"spherical_log_likelihood with X of shape {X.shape}{label}",
                     mistakes=mistakes)
