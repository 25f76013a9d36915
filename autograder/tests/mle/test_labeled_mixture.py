"""mle, part 3: a Gaussian mixture whose labels are known (15 points)."""
import numpy as np

from autograder.harness import Mistake, expect, expect_array, expect_close, points, reference

ref = reference("mle")


def labeled_data(rng, n, d, k):
    z = rng.integers(0, k, size=n)
    z[:k] = np.arange(k)  # every component has samples
    centres = rng.normal(scale=5.0, size=(k, d))
    return centres[z] + rng.normal(size=(n, d)), z


@points(10)
def test_labeled_mixture_mle(student, rng):
    """labeled_mixture_mle: weight = count/n, mean and covariance (divisor count) of each group"""
    for n, d, k in [(60, 2, 3), (600, 4, 5)]:
        X, z = labeled_data(rng, n, d, k)
        got = student.labeled_mixture_mle(X, z, k)
        expect(isinstance(got, (tuple, list)) and len(got) == 3,
               "labeled_mixture_mle should return (weights, means, covs)")
        weights, means, covs = ref.labeled_mixture_mle(X, z, k)
        counts = np.bincount(z, minlength=k)
        what = f"labeled_mixture_mle with n={n}, d={d}, K={k}"
        expect_close(got[0], weights, f"{what}: the weights", mistakes=[
            Mistake(counts, "the weights are the counts; divide them by n"),
            Mistake(np.full(k, 1 / k), "the weights are uniform; the MLE is count/n"),
        ])
        expect_close(got[1], means, f"{what}: the means")
        unbiased = np.stack([np.cov(X[z == j].T) for j in range(k)])
        expect_close(got[2], covs, f"{what}: the covariances", mistakes=[
            Mistake(unbiased, "each covariance divided by count−1; the MLE divides by the count"),
            Mistake(np.stack([c * counts[j] / n for j, c in enumerate(covs)]),
                    "each covariance divided by n; divide by the number of samples in its group"),
        ])


@points(5)
def test_labeled_mixture_one_feature(student, rng):
    """labeled_mixture_mle on a 1-D X: shapes (K,), (K, 1), (K, 1, 1) and the right values"""
    k = 2
    X, z = labeled_data(rng, 40, 1, k)
    x = X.ravel()
    got = student.labeled_mixture_mle(x, z, k)
    expect(isinstance(got, (tuple, list)) and len(got) == 3,
           "labeled_mixture_mle should return (weights, means, covs)")
    weights, means, covs = ref.labeled_mixture_mle(X, z, k)
    expect_array(got[1], "the means for a 1-D X", shape=(k, 1))
    expect_array(got[2], "the covariances for a 1-D X", shape=(k, 1, 1))
    expect_close(got[0], weights, "the weights for a 1-D X")
    expect_close(got[1], means, "the means for a 1-D X")
    expect_close(got[2], covs, "the covariances for a 1-D X")
