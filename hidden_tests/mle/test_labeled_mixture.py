"""mle, part 3: a Gaussian mixture whose labels are known (13 points)."""
import numpy as np

from autograder.harness import Mistake, expect, expect_array, expect_close, points, reference

ref = reference("mle")


def labeled_data(rng, n, d, k):
    z = rng.integers(0, k, size=n)
    z[:k] = np.arange(k)  # every component has samples
    centres = rng.normal(scale=5.0, size=(k, d))
    return centres[z] + rng.normal(size=(n, d)), z


def fits(student, rng):
    """(what, X, z, k, got, expected) for the random cases (one with lists, one far from the origin)."""
    for n, d, k, label in [(60, 2, 3, ""), (600, 4, 5, ""), (50, 2, 2, " (X and z lists)"),
                           (300, 3, 3, " around 1e5")]:
        X, z = labeled_data(rng, n, d, k)
        if "1e5" in label:
            X = X + rng.uniform(1e5, 1e6, size=d)
        args = (X.tolist(), z.tolist()) if "list" in label else (X, z)
        got = student.labeled_mixture_mle(*args, k)
        expect(isinstance(got, (tuple, list)) and len(got) == 3,
               "labeled_mixture_mle should return (weights, means, covariances)")
        yield f"labeled_mixture_mle with n={n}, d={d}, K={k}{label}", X, z, k, got, ref.labeled_mixture_mle(X, z, k)


@points(2)
def test_labeled_mixture_weights(student, rng):
    """labeled_mixture_mle: weight_k = count_k / n"""
    for what, X, z, k, got, (weights, _, _) in fits(student, rng):
        counts = np.bincount(z, minlength=k)
        expect_close(got[0], weights, f"{what}: the weights", mistakes=[
            Mistake(counts, "the weights are the counts; divide them by n"),
            Mistake(np.full(k, 1 / k), "the weights are uniform; the MLE is count/n"),
        ])


@points(3)
def test_labeled_mixture_means(student, rng):
    """labeled_mixture_mle: mean_k = the mean of the rows labelled k"""
    for what, X, z, k, got, (_, means, _) in fits(student, rng):
        expect_close(got[1], means, f"{what}: the means", rtol=1e-9, mistakes=[
            Mistake(np.tile(X.mean(0), (k, 1)), "every component got the overall mean; average only "
                                                "the rows labelled k"),
        ])


@points(4)
def test_labeled_mixture_covariances(student, rng):
    """labeled_mixture_mle: cov_k with divisor count_k, also for data far from the origin"""
    for what, X, z, k, got, (_, _, covs) in fits(student, rng):
        counts = np.bincount(z, minlength=k)
        unbiased = np.stack([np.cov(X[z == j].T).reshape(X.shape[1], X.shape[1]) for j in range(k)])
        if "1e5" in what:
            what += " (E[xxᵀ] − mean·meanᵀ loses digits here: centre each group on its mean first)"
        expect_close(got[2], covs, f"{what}: the covariances", mistakes=[
            Mistake(unbiased, "each covariance divided by count−1; the MLE divides by the count"),
            Mistake(np.stack([c * counts[j] / len(X) for j, c in enumerate(covs)]),
                    "each covariance divided by n; divide by the number of samples in its group"),
        ])


#: the tests of labeled_mixture_mle's values (carry forward: the first that failed)
VALUE_TESTS = ["test_labeled_mixture_weights", "test_labeled_mixture_means", "test_labeled_mixture_covariances"]


def uses_own(carry):
    """``{"labeled_mixture_mle": test}``: the first of its value tests that failed on a value."""
    for test in VALUE_TESTS:
        if carry.own_failures({"labeled_mixture_mle": test}):
            return {"labeled_mixture_mle": test}
    return {"labeled_mixture_mle": VALUE_TESTS[0]}


def nan_as_zero(a, b):
    """``a`` and ``b`` as float arrays with 0 where both are NaN (your own NaN is carried too)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return a, b
    both = np.isnan(a) & np.isnan(b)
    return np.where(both, 0.0, a), np.where(both, 0.0, b)


@points(2)
def test_labeled_mixture_one_feature(student, carry, rng):
    """labeled_mixture_mle on a 1-D X: shapes (K,), (K, 1), (K, 1, 1) and the right values

    Carries forward: with your own labeled_mixture_mle failing one of its value tests, the
    expected values are your own for the same data as one column (shape (n, 1))."""
    k = 2
    X, z = labeled_data(rng, 40, 1, k)
    x = X.ravel()
    got = student.labeled_mixture_mle(x, z, k)
    expect(isinstance(got, (tuple, list)) and len(got) == 3,
           "labeled_mixture_mle should return (weights, means, covariances)")
    expect_array(got[1], "the means for a 1-D X", shape=(k, 1))
    expect_array(got[2], "the covariances for a 1-D X", shape=(k, 1, 1))

    def compare(module):
        own = "" if module is None else ", compared with your own labeled_mixture_mle(X[:, None], z, K)"
        expected = (ref if module is None else module).labeled_mixture_mle(X, z, k)
        for i, name in enumerate(("weights", "means", "covariances")):
            expect_close(*nan_as_zero(got[i], expected[i]), f"the {name} for a 1-D X{own}")

    carry.check(compare, uses=uses_own(carry))


@points(2)
def test_labeled_mixture_empty_and_single_groups(student, carry, rng):
    """labeled_mixture_mle with an empty group (weight 0, zeros, no NaN) and one-sample groups (covariance 0)

    Carries forward: with your own labeled_mixture_mle failing one of its value tests, the
    non-empty groups are expected as your own labeled_mixture_mle gives them with K = 3 (no empty
    group); the empty group still gets weight 0 and zeros."""
    n, d, k = 30, 2, 4
    X, z = labeled_data(rng, n, d, 2)  # labels 0 and 1 only
    empty, single = 3, 2
    z[int(rng.integers(2, n))] = single  # group 2 has exactly one row; group 3 none
    got = student.labeled_mixture_mle(X, z, k)
    expect(isinstance(got, (tuple, list)) and len(got) == 3,
           "labeled_mixture_mle should return (weights, means, covariances)")
    weights, means, covs = ref.labeled_mixture_mle(X, z, k)
    what = (f"labeled_mixture_mle with K={k}: group {single} has one row, group {empty} none "
            "(its weight is 0, its mean and covariance zeros)")
    nan_hint = Mistake(np.where(np.arange(k)[:, None] == empty, np.nan, means),
                       "the empty group's mean came out as NaN (0/0): skip groups with no rows and "
                       "leave their mean and covariance at zeros")
    got_w = expect_array(got[0], f"{what}: the weights", shape=(k,), finite=False)
    got_m = expect_array(got[1], f"{what}: the means", shape=(k, d), finite=False)
    got_c = expect_array(got[2], f"{what}: the covariances", shape=(k, d, d), finite=False)

    def compare(module):
        if module is None:
            expect_close(got_w, weights, f"{what}: the weights")
            expect_close(got_m, means, f"{what}: the means", mistakes=[nan_hint])
            expect_close(got_c, covs, f"{what}: the covariances", mistakes=[
                Mistake(np.where((np.arange(k) == single)[:, None, None], np.nan, covs),
                        "NaN for the one-row group (0/0: divided by count − 1 = 0): the MLE divides by the "
                        "count, and a single row has covariance 0"),
            ])
            return
        # your own fit without the empty label, and weight 0, zeros for the empty group
        own_w, own_m, own_c = module.labeled_mixture_mle(X, z, k - 1)
        own = ", compared with your own labeled_mixture_mle(X, z, K − 1) (no empty group) and zeros"
        expect_close(*nan_as_zero(got_w, np.r_[own_w, 0.0]), f"{what}: the weights{own}")
        expect_close(*nan_as_zero(got_m, np.r_[own_m, np.zeros((1, d))]), f"{what}: the means{own}")
        expect_close(*nan_as_zero(got_c, np.r_[own_c, np.zeros((1, d, d))]), f"{what}: the covariances{own}")

    carry.check(compare, uses=uses_own(carry))
