"""bmm, part 2: the log-probabilities, the E-step and the M-step (26 points)."""
import numpy as np
from scipy.special import logsumexp

from autograder.harness import (Mistake, expect, expect_array, expect_close, fail, in_background, points, reference,
                                same_for_every_student)
from hidden_tests.bmm.carried import LABELS, X_MNIST, expect_own, own, with_private

ref = reference("bmm")


def random_binary(rng, n, d, k):
    """n binary rows of d pixels drawn from a random K-component Bernoulli mixture."""
    probs = rng.uniform(0.05, 0.95, size=(k, d))
    z = rng.integers(0, k, size=n)
    return (rng.random((n, d)) < probs[z]).astype(float)


def mnist_rows(rng, n, digits=None):
    """n random binarised MNIST images (of the given digits) and their labels."""
    pool = np.arange(len(LABELS)) if digits is None else np.flatnonzero(np.isin(LABELS, digits))
    idx = rng.choice(pool, n, replace=False)
    return X_MNIST[idx], LABELS[idx]


def digit_probs(rng, k):
    """Realistic pixel probabilities: the smoothed mean image of k random digits (many near 0)."""
    digits = rng.choice(10, k, replace=False)
    return np.stack([(X_MNIST[LABELS == c][:200].sum(0) + 1.0) / (200 + 2.0) for c in digits])


@same_for_every_student
def direct_log_prob(X, probs):
    """The definition, one pixel at a time: Σ_d x_nd log p_kd + (1 − x_nd) log(1 − p_kd) (a loop over up
    to 3,000 pixels). Computed once per grader process, read-only: grade-all grades the class with one
    seed, so every student's test draws the same X and probs."""
    out = np.zeros((X.shape[0], probs.shape[0]))
    for d in range(X.shape[1]):
        x, p = X[:, d:d + 1], probs[:, d]
        out += x * np.log(p) + (1.0 - x) * np.log(1.0 - p)
    return out


@points(6)
def test_bernoulli_log_prob(student, rng):
    """bernoulli_log_prob: equals the sum over pixels of x·log p + (1 − x)·log(1 − p)"""
    cases = [("random binary data", random_binary(rng, 40, 25, 3), rng.uniform(0.02, 0.98, size=(3, 25))),
             ("one image, one component", random_binary(rng, 1, 10, 1), rng.uniform(0.1, 0.9, size=(1, 10)))]
    X, _ = mnist_rows(rng, 150)
    cases.append(("150 MNIST images and 4 digit-shaped components", X, digit_probs(rng, 4)))
    for name, X, probs in cases:
        expected = in_background(direct_log_prob, X, probs)  # while the student's call runs
        got = student.bernoulli_log_prob(X, probs)
        expected = expected.result()
        what = f"bernoulli_log_prob(X, probs) on {name}, X {X.shape}, probs {probs.shape}"
        expect_close(got, expected, what, mistakes=[
            Mistake(X @ np.log(probs).T,
                    "the (1 − x)·log(1 − p) term is missing: a pixel that is 0 has probability 1 − p"),
            Mistake(X @ np.log(probs).T + (1 - X) @ np.log(probs).T,
                    "log p was used for the pixels that are 0; their probability is 1 − p"),
            Mistake(expected / X.shape[1], "averaged over the pixels; the log-probability is their sum"),
            Mistake(np.exp(expected), "returned the probability, not its logarithm"),
        ])


@points(2)
def test_bernoulli_log_prob_edges(student, carry, rng):
    """bernoulli_log_prob: probabilities exactly 0 or 1 (0·log 0 = 0 where the pixel agrees, −inf where impossible), a 1-D X"""
    # p = 0 or 1 arise with alpha = 0: a pixel that agrees with a certain probability adds 0 (0·log 0 = 0),
    # one that contradicts it makes the image impossible under that component (log-probability −inf).
    d, k = 12, 3
    X = random_binary(rng, 30, d, 2)
    probs = rng.uniform(0.1, 0.9, size=(k, d))
    probs[0, :4] = np.where(rng.random(4) < 0.5, 0.0, 1.0)
    probs[1, 4] = 0.0
    probs[2, 5] = 1.0
    X[:, 4] = 0.0  # component 1's certain pixel always agrees
    X[:3, 5] = 0.0  # component 2's certain pixel is contradicted by rows 0–2 only
    X[3:, 5] = 1.0
    safe = np.where((probs == 0) | (probs == 1), 0.5, probs)
    with np.errstate(divide="ignore"):
        terms_1 = np.where(probs == 0, -np.inf, np.where(probs == 1, 0.0, np.log(safe)))      # log p
        terms_0 = np.where(probs == 1, -np.inf, np.where(probs == 0, 0.0, np.log1p(-safe)))   # log(1 − p)
    expected = np.stack([np.where(X == 1, terms_1[j], terms_0[j]).sum(axis=1) for j in range(k)], axis=1)
    what = f"bernoulli_log_prob(X, probs) with some probs exactly 0 or 1 (X {X.shape}, probs {probs.shape})"
    got = expect_array(student.bernoulli_log_prob(X, probs), what, shape=expected.shape, finite=False)
    bad = np.isnan(got)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        expect(False, f"{what}: NaN at index ({i}, {j}); where p is exactly 0 or 1 and the pixel agrees, "
                      "x·log p + (1 − x)·log(1 − p) has a 0·log 0 term, which is 0 (not NaN): leave it out")
    expect_close(got, expected, what)
    # only zeros, or only ones, among the probs: each alone needs the same care as both together
    for only in (0.0, 1.0):
        probs_1 = rng.uniform(0.1, 0.9, size=(k, d))
        probs_1[:, 7] = only
        X1 = random_binary(rng, 20, d, 2)
        X1[:, 7] = only  # every pixel agrees: finite everywhere
        X1[0, 7] = 1.0 - only  # except row 0: impossible under every component
        safe = np.where((probs_1 == 0) | (probs_1 == 1), 0.5, probs_1)
        with np.errstate(divide="ignore"):
            terms_1 = np.where(probs_1 == 0, -np.inf, np.where(probs_1 == 1, 0.0, np.log(safe)))
            terms_0 = np.where(probs_1 == 1, -np.inf, np.where(probs_1 == 0, 0.0, np.log1p(-safe)))
        expected = np.stack([np.where(X1 == 1, terms_1[j], terms_0[j]).sum(axis=1) for j in range(k)], axis=1)
        what = (f"bernoulli_log_prob(X, probs) with one pixel's probs exactly {only:g} in every component "
                "(and no probs exactly " + ("1)" if only == 0.0 else "0)"))
        got = expect_array(student.bernoulli_log_prob(X1, probs_1), what, shape=expected.shape, finite=False)
        if np.isnan(got).any():
            i, j = (int(v) for v in np.argwhere(np.isnan(got))[0])
            # the case with probabilities exactly 0 and 1 together passed above: the rule is there,
            # but only applied when both occur
            fail(f"{what}: NaN at index ({i}, {j}), although probabilities exactly 0 and 1 together (above) "
                 f"were handled\nLikely mistake: a probability of exactly {only:g} needs the 0·log 0 = 0 rule "
                 f"on its own, also when no probability is exactly {1 - only:g} (the rule was applied only "
                 "when both occur: use `or`, not `and`)")
        expect_close(got, expected, what)
    # a 1-D X means d = 1 (n samples of one pixel)
    x = (rng.random(25) < 0.4).astype(float)
    p1 = rng.uniform(0.1, 0.9, size=(2, 1))
    expected = np.stack([x * np.log(p1[j, 0]) + (1 - x) * np.log1p(-p1[j, 0]) for j in range(2)], axis=1)
    got = expect_array(student.bernoulli_log_prob(x, p1), "bernoulli_log_prob for a 1-D X (25 samples, d = 1)",
                       shape=(25, 2))

    def compare(module):
        # where your bernoulli_log_prob fails its own test: a 1-D X must give what it gives on X[:, None]
        want = expected if module is None else module.bernoulli_log_prob(x[:, np.newaxis], p1)
        expect_close(got, want, "bernoulli_log_prob for a 1-D X (25 samples, d = 1)")

    carry.check(compare, uses={"bernoulli_log_prob": "test_bernoulli_log_prob"})


@points(8, depends={"test_bernoulli_log_prob": "bmm_e_step uses your log-probabilities"})
def test_e_step(student, carry, rng):
    """bmm_e_step: responsibilities and the total log-likelihood, in log space"""
    X, _ = mnist_rows(rng, 200)
    d_big = 3000  # log p(x | k) ≈ −1,900: exp() of it underflows to 0
    cases = [("random binary data", random_binary(rng, 60, 30, 4), rng.dirichlet(np.ones(4)),
              rng.uniform(0.05, 0.95, size=(4, 30))),
             ("200 MNIST images, 5 digit-shaped components", X, rng.dirichlet(np.ones(5)), digit_probs(rng, 5)),
             (f"{d_big} pixels per image (tiny probabilities)", random_binary(rng, 30, d_big, 3),
              rng.dirichlet(np.ones(3)), rng.uniform(0.2, 0.8, size=(3, d_big)))]
    log_probs = [in_background(direct_log_prob, X, probs) for _, X, _, probs in cases]  # while the student's calls run
    answers = []
    for name, X, weights, probs in cases:
        got = student.bmm_e_step(X, weights, probs)
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"bmm_e_step should return (resp, log_likelihood), got {type(got).__name__}")
        answers.append(got)

    def compare(module):
        for (name, X, weights, probs), got, log_prob in zip(cases, answers, log_probs):
            what = f"bmm_e_step on {name} (X {X.shape}, K={len(weights)})"
            if module is not None:  # the reference's bmm_e_step on your bernoulli_log_prob
                own_resp, own_ll = own(module).bmm_e_step(X, weights, probs)
                expect_own(got[0], own_resp, f"{what}: resp")
                expect_own(got[1], own_ll, f"{what}: log_likelihood")
                continue
            check_e_step(got, X, weights, probs, log_prob.result(), what)

    carry.check(compare, uses=with_private({"bernoulli_log_prob": "test_bernoulli_log_prob"}))


def check_e_step(got, X, weights, probs, log_prob, what):
    """``got`` against the reference's bmm_e_step, with the mistakes' hints (``log_prob``: direct_log_prob)."""
    resp, ll = ref.bmm_e_step(X, weights, probs)
    weighted = log_prob + np.log(weights)
    with np.errstate(all="ignore"):  # what normalising exp(log π + log p) in linear space gives
        linear = np.exp(weighted)
        linear = linear / linear.sum(axis=1, keepdims=True)
        # log-sum-exp without subtracting the row maximum: log Σ exp is log 0 = −inf for tiny terms
        unshifted = np.exp(weighted - np.log(np.exp(weighted).sum(axis=1, keepdims=True)))
        densities = float(np.exp(logsumexp(weighted, axis=1)).sum())
    mistakes = [
        Mistake(np.exp(log_prob - logsumexp(log_prob, axis=1, keepdims=True)),
                "the weights were left out: resp_nk ∝ π_k · p(x_n | k)"),
        Mistake(linear, "exp() of the log-probabilities underflowed to 0 and 0/0 gave NaN: normalise "
                        "in log space (resp = exp(log π + log p − logsumexp(...)))"),
        Mistake(np.exp(weighted), "the responsibilities were not normalised (rows must sum to 1)"),
    ]
    if not np.allclose(unshifted, resp, equal_nan=True):
        mistakes.append(Mistake(unshifted, "log-sum-exp without subtracting the row maximum: "
                                "every exp(a_nk) is 0 in floating point, so log Σ_k exp(a_nk) = log 0 = −inf and "
                                "resp = exp(a − (−inf)) is inf (NaN where a = −inf); compute m = max_k a_nk and "
                                "m + log Σ_k exp(a_nk − m) (scipy.special.logsumexp does)"))
    expect_close(got[0], resp, f"{what}: resp", mistakes=mistakes)
    expect_close(got[1], ll, f"{what}: log_likelihood", mistakes=[
        Mistake(ll / X.shape[0], "returned the mean log-likelihood; the spec asks for the total over samples"),
        Mistake(logsumexp(log_prob, axis=1).sum(), "the weights were left out of the log-likelihood"),
    ] + ([Mistake(densities, "the log-likelihood is a sum of densities Σ_n p(x_n) (a positive number), "
                             "not of their logs: it is Σ_n log p(x_n) = Σ_n logsumexp_k (log π_k + log p(x_n | k))")]
         if densities != 0.0 else []))


@points(10)
def test_m_step(student, rng):
    """bmm_m_step: weights N_k/n and smoothed probs (Σ resp·x + alpha) / (N_k + 2·alpha)"""
    X1 = random_binary(rng, 80, 20, 3)
    X2, _ = mnist_rows(rng, 300)
    resp2, _ = ref.bmm_e_step(X2, np.full(6, 1 / 6), rng.uniform(0.3, 0.7, size=(6, 784)))
    resp2 = 0.9 * resp2 + 0.1 * rng.dirichlet(np.ones(6), size=300)  # no component empty
    # one component with N_k ≈ 0.1, well below 1 (N_k + 2·alpha < 1 too): still the formula, not "empty"
    resp_small = rng.dirichlet(np.ones(3), size=80)
    resp_small[:, 2] *= 0.1 / resp_small[:, 2].sum()
    resp_small[:, :2] *= ((1.0 - resp_small[:, 2]) / resp_small[:, :2].sum(axis=1))[:, None]
    cases = [("random binary data", X1, rng.dirichlet(np.ones(3), size=80), None),
             ("random binary data, one component with N_k ≈ 0.1", X1, resp_small, float(rng.uniform(0.1, 0.4))),
             ("random binary data, one component with N_k ≈ 0.1", X1, resp_small, 0.0),
             ("random binary data", X1, rng.dirichlet(np.ones(3), size=80), float(rng.uniform(0.2, 3.0))),
             ("300 MNIST images, K=6", X2, resp2, None),
             ("300 MNIST images, K=6", X2, resp2, 0.0)]
    for name, X, resp, alpha in cases:
        if alpha is None:
            got, what = student.bmm_m_step(X, resp), f"bmm_m_step(X, resp) (default alpha=1) on {name}"
        else:
            got, what = student.bmm_m_step(X, resp, alpha=alpha), f"bmm_m_step(X, resp, alpha={alpha:g}) on {name}"
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"bmm_m_step should return (weights, probs), got {type(got).__name__}")
        a = 1.0 if alpha is None else alpha
        weights, probs = ref.bmm_m_step(X, resp, alpha=a)
        nk, counts = resp.sum(0), resp.T @ X
        expect_close(got[0], weights, f"{what}: the weights", mistakes=[
            Mistake(nk, "the weights are N_k (unnormalised weights); divide by n so that they sum to 1"),
            Mistake(np.full_like(weights, 1 / len(weights)), "the weights were not updated: π_k = N_k / n"),
        ])
        small = nk + 2 * a <= 1.0
        expect_close(got[1], probs, f"{what}: the probs", mistakes=[
            Mistake(counts / nk[:, None],
                    "alpha was ignored: no smoothing, so a pixel never on in a component gets p = 0, "
                    "log p = −inf and 0·log 0 = NaN later (p = (Σ resp·x + alpha) / (N_k + 2·alpha))"),
            Mistake((counts + a) / (nk + a)[:, None],
                    "alpha was added once to the denominator (smoothing with alpha once instead of twice): "
                    "alpha pseudo-counts of 1 and alpha of 0 give N_k + 2·alpha"),
            Mistake(counts / len(X), "divided by n; each component's probabilities are divided by its own N_k"),
            Mistake((counts + a) / (len(X) + 2 * a), "divided by n + 2·alpha; the denominator is N_k + 2·alpha"),
        ] + ([Mistake(np.where(small[:, None], 0.5, probs),
                      "a component with a small N_k (N_k + 2·alpha ≤ 1) was given p = 1/2 as if it were empty; "
                      "only N_k + 2·alpha = 0 has no formula, every positive value uses "
                      "(Σ resp·x + alpha) / (N_k + 2·alpha)")] if small.any() else []))
