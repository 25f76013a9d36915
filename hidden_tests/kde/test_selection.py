"""kde, part 3: the leave-one-out log-likelihood and bandwidth selection (25 points)."""
import math

import numpy as np
from scipy.special import logsumexp

from autograder.harness import (GradingFailure, Mistake, expect_close, fail, in_background, points, reference,
                                same_for_every_student)

ref = reference("kde")
LOG_2PI = math.log(2.0 * math.pi)


def log_kernel_matrix(X, h):
    """log N(x_i; x_j, h² I) for every pair (brute force, small n): shape (n, n)."""
    d = X.shape[1]
    sq = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    return -0.5 * sq / h**2 - 0.5 * d * (LOG_2PI + 2 * math.log(h))


def brute_force_loo(X, h, drop=None):
    """(1/n) Σ_i log[(1/(n−1)) Σ_{j≠i} N(x_i; x_j, h² I)], written out with logsumexp.

    ``drop`` (n, n) boolean: the pairs left out (default: the diagonal, i = j).
    """
    n = X.shape[0]
    log_k = log_kernel_matrix(X, h)
    log_k[np.eye(n, dtype=bool) if drop is None else drop] = -np.inf
    return float(np.mean(logsumexp(log_k, axis=1) - math.log(n - 1)))


def loo_mistakes(X, h):
    n = X.shape[0]
    log_k = log_kernel_matrix(X, h)
    with_self = logsumexp(log_k, axis=1)
    loo = brute_force_loo(X, h)
    return [
        Mistake(float(np.mean(with_self - math.log(n))),
                "the point itself was kept in its own density (that is the plain log-likelihood, "
                "which grows without bound as h → 0): leave-one-out leaves out the term j = i"),
        Mistake(float(np.mean(with_self - math.log(n - 1))),
                "the point itself was kept in its own density (the sum includes j = i): "
                "leave-one-out leaves out the term j = i"),
        Mistake(loo + math.log(n - 1) - math.log(n),
                "the leave-one-out density was divided by n; it averages the other n − 1 kernels"),
        Mistake(n * loo, "returned the sum over the rows; the spec asks for the mean (divide by n)"),
    ]


@points(7)
def test_loo_log_likelihood(student, rng):
    """loo_log_likelihood: equals a brute-force leave-one-out with logsumexp (1-D arrays and lists too)"""
    for n, d in [(2, 1), (60, 1), (150, 3), (40, 2)]:
        X = rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d)
        for h in (float(rng.uniform(0.1, 0.4)), float(rng.uniform(0.8, 2.0))):
            x_in = X.ravel() if d == 1 else X.tolist() if n == 40 else X  # 1-D: one feature
            label = " (a list of lists)" if n == 40 else ""
            got = student.loo_log_likelihood(x_in, h)
            expect_close(got, brute_force_loo(X, h), f"loo_log_likelihood(X, h={h:.4f}) with X of "
                         f"shape {X.shape}{label}", mistakes=loo_mistakes(X, h))


def chunked_loo(X, h, chunk=500, keep_self=False):
    """brute_force_loo for large n: the same sums, ``chunk`` rows of the (n, n) matrix at a time.

    ``keep_self``: the mistake of keeping j = i (still divided by n − 1).

    The squared distances are summed feature by feature (for d = 1 the very numbers of
    ``((rows[:, None] − X[None]) ** 2).sum(-1)``), and each row's log-sum-exp is its maximum plus
    the log of the sum of exp(· − maximum), in place: the same sums as scipy's ``logsumexp``
    (measured equal to the last digit at this test's sizes), without its general path (weights,
    signs, complex input), which took three quarters of the grader's time in this test.
    """
    n, d = X.shape
    total = 0.0
    for start in range(0, n, chunk):
        rows = X[start:start + chunk]
        sq = (rows[:, 0, None] - X[None, :, 0]) ** 2
        for k in range(1, d):
            sq += (rows[:, k, None] - X[None, :, k]) ** 2
        log_k = -0.5 * sq / h**2
        if not keep_self:
            log_k[np.arange(len(rows)), np.arange(start, start + len(rows))] = -np.inf
        top = log_k.max(axis=1, keepdims=True)  # finite: every row keeps n − 1 ≥ 1 terms
        log_k -= top
        np.exp(log_k, out=log_k)
        total += float(np.sum(top[:, 0] + np.log(log_k.sum(axis=1))))
    return total / n - math.log(n - 1) - 0.5 * d * (LOG_2PI + 2 * math.log(h))


def chunked_row_sums(X, h, chunk=500):
    """Each row's log Σ_j exp(−‖x_i − x_j‖²/(2h²)) without and with j = i: two arrays of shape (n,)."""
    n = X.shape[0]
    without, with_self = np.empty(n), np.empty(n)
    for start in range(0, n, chunk):
        rows = X[start:start + chunk]
        log_k = -0.5 * ((rows[:, None, :] - X[None, :, :]) ** 2).sum(-1) / h**2
        with_self[start:start + len(rows)] = logsumexp(log_k, axis=1)
        log_k[np.arange(len(rows)), np.arange(start, start + len(rows))] = -np.inf
        without[start:start + len(rows)] = logsumexp(log_k, axis=1)
    return without, with_self


#: Block sizes a blocked leave-one-out is commonly written with (the reference's is 8192 rows).
BLOCKS = (500, 512, 1000, 1024, 2000, 2048, 4000, 4096, 5000, 8000, 8192)


def many_rows_mistakes(X, h):
    """The mistakes of test_loo_many_rows: j = i kept everywhere, or left out only in the first block."""
    n, d = X.shape
    without, with_self = chunked_row_sums(X, h)
    const = math.log(n - 1) + 0.5 * d * (LOG_2PI + 2 * math.log(h))
    hints = [Mistake(float(np.mean(with_self)) - const, "the point itself was kept in its own density (the "
                     "sum includes j = i): leave-one-out leaves out the term j = i")]
    for block in BLOCKS:
        value = (float(np.sum(without[:block])) + float(np.sum(with_self[block:]))) / n - const
        hints.append(Mistake(value, f"the term j = i was left out only in the first block ({block} rows): "
                                    "every row past it kept its own kernel. Leave out the diagonal of every "
                                    "block of training rows (query row i against training row i)"))
    return hints


#: chunked_loo computed once per class (grade-all: every student's rows are the same, from the seed)
chunked_loo_same = same_for_every_student(chunked_loo)


#: More rows than one block of the reference's blocked computation (8192 training rows), so
#: that a leave-one-out written with blocks must leave out the right term in every block.
LOO_BIG_N = 9000


#: The memory of that test's process: a plain n × n leave-one-out (differences, squares, the
#: kernel matrix and logsumexp's copies: about 3 GiB at n = 9 000) fits with room. This test is
#: about which term is left out, not about memory (kde's memory test is test_logpdf_memory_bounded).
LOO_BIG_MEMORY_MB = 6144


#: carry forward (autograder/carry.py): the student's own loo_log_likelihood when it fails its test
USES_LOO = {"loo_log_likelihood": "test_loo_log_likelihood"}


@points(3, timeout=60, memory_mb=LOO_BIG_MEMORY_MB, depends=("test_loo_log_likelihood",))
def test_loo_many_rows(student, carry, rng):
    """loo_log_likelihood with n = 9 000 rows (60 s and 6 GiB per call): only j = i left out, in every block

    Carries forward: with your own loo_log_likelihood failing its test, the expected value is your
    own for the same rows in reverse order (the rows' order changes no leave-one-out score)."""
    X = rng.normal(size=(LOO_BIG_N, 1)) * rng.uniform(0.5, 2.0)
    h = float(rng.uniform(0.05, 0.2))
    expected = in_background(chunked_loo_same, X, h)  # while the student's call runs
    got = student.loo_log_likelihood(X, h)
    expected = expected.result()
    what = f"loo_log_likelihood(X, h={h:.4f}) with X of shape {X.shape}"

    def compare(module):
        if module is not None:
            expect_close(got, module.loo_log_likelihood(X[::-1], h), what + ", compared with your own "
                         "loo_log_likelihood of the same rows in reverse order")
            return
        try:
            expect_close(got, expected, what)
        except GradingFailure:  # only then the (costly) values of the mistakes
            expect_close(got, expected, what, mistakes=many_rows_mistakes(X, h))

    carry.check(compare, uses=USES_LOO)


#: how far the copies are moved for the carried-forward comparison: the true score moves by
#: ≲ 3h·1e-8/h² ≤ 1.5e-7 (h ≥ 0.2, relevant pairs within ~3h), ≥ 10 times below the tolerance
#: (rtol 1e-6 of a score ≈ −1.5 or below), while the copies are no longer equal to their rows
JITTER = 1e-8


@points(5, depends={"test_loo_log_likelihood": "the same leave-one-out sum"})
def test_loo_duplicates_and_outlier(student, carry, rng):
    """loo_log_likelihood with duplicated rows and an outlier: only j = i is left out, and it stays finite

    Carries forward: with your own loo_log_likelihood failing its test, the expected value is your
    own (finite) score with the copies moved by 1e-8, where no row equals another."""
    n0, d = 40, 2
    X = rng.normal(size=(n0, d))
    X = np.vstack([X, X[:5], X[:2]])  # rows 0, 1 appear three times, rows 2-4 twice
    moved = X + np.where(np.arange(len(X)) >= n0, 1.0, 0.0)[:, None] * JITTER * rng.normal(size=X.shape)
    h = float(rng.uniform(0.2, 0.5))
    for label, data, apart in [("duplicated rows", X, moved),
                               ("duplicated rows and an outlier 2000 bandwidths away",
                                np.vstack([X, X.mean(0) + [2000 * h, 0.0]]),
                                np.vstack([moved, X.mean(0) + [2000 * h, 0.0]]))]:
        n = len(data)
        same = ((data[:, None, :] - data[None, :, :]) ** 2).sum(-1) == 0
        expected = brute_force_loo(data, h)
        got = student.loo_log_likelihood(data, h)
        what = f"loo_log_likelihood(X, h={h:.4f}) with {label}, n={n}"

        def compare(module, data=data, apart=apart, got=got, expected=expected, what=what, same=same):
            if module is not None:
                own = module.loo_log_likelihood(apart, h)
                if not np.isfinite(own):
                    fail(f"{what}: your own loo_log_likelihood is not finite here either ({own})")
                expect_close(got, own, what + ", compared with your own loo_log_likelihood with the "
                             "copies moved by 1e-8 (no two rows equal)")
                return
            expect_close(got, expected, what, mistakes=[
                Mistake(brute_force_loo(data, h, drop=same),
                        "every row equal to x_i was left out, not just x_i itself: leave out only the "
                        "index j = i (a duplicate of x_i is another sample and counts)"),
                Mistake(-np.inf, "−inf: the outlier's density from the other rows underflows to 0 unless "
                                 "computed with log-sum-exp"),
                Mistake(np.nan, "NaN: a row whose terms all underflow or are left out; use log-sum-exp "
                                "and leave out the term j = i by setting its exponent to −inf"),
                *loo_mistakes(data, h),
            ])

        carry.check(compare, uses=USES_LOO)


def candidates_with_clear_maximum(rng, X, k):
    """k candidate bandwidths (a shuffled geometric grid) whose best LOO score is unique by a margin."""
    spread = float(np.sqrt(np.mean(np.var(X, axis=0))))
    while True:
        cands = spread * np.geomspace(0.02, 3.0, k) * rng.uniform(0.9, 1.1)
        rng.shuffle(cands)
        scores = np.array([ref.loo_log_likelihood(X, h) for h in cands])
        top = np.sort(scores)[-2:]
        if top[1] - top[0] > 1e-6 * abs(top[1]):  # a float64 order of summation cannot swap them
            return cands, scores


def mixture_data(rng, n, d):
    centres = rng.normal(scale=3.0, size=(3, d))
    return centres[rng.integers(3, size=n)] + rng.normal(size=(n, d))


def own_choice(module, X, cands):
    """``module.select_bandwidth(X, cands)`` (the reference's arg-max over your own
    loo_log_likelihood, or your own select_bandwidth), each candidate passed as a Python float."""
    if getattr(module.select_bandwidth, "name", None) == "select_bandwidth":  # your own
        return module.select_bandwidth(X, np.asarray(cands, dtype=float))
    scores = [module.loo_log_likelihood(X, float(h)) for h in cands]
    return float(cands[int(np.argmax(scores))])


@points(7, depends={"test_loo_log_likelihood": "select_bandwidth scores the candidates with loo_log_likelihood (if yours calls it)"})
def test_select_bandwidth(student, carry, rng):
    """select_bandwidth: the candidate with the largest leave-one-out log-likelihood

    Carries forward: with your own loo_log_likelihood failing its test, the expected candidate is
    the one your own loo_log_likelihood scores best."""
    for n, d in [(80, 1), (120, 2)]:
        X = mixture_data(rng, n, d)
        cands, scores = candidates_with_clear_maximum(rng, X, 12)
        plain = [float(np.mean(logsumexp(log_kernel_matrix(X, h), axis=1) - math.log(n)))
                 for h in cands]
        arg = X.ravel() if d == 1 else X  # 1-D: one feature
        got = student.select_bandwidth(arg, cands.tolist() if d == 1 else cands)
        smallest = "chose the candidate with the smallest leave-one-out score; pick the largest (argmax)"
        by_plain = ("chose by the plain log-likelihood, in which each row also counts its own kernel "
                    "and which always favours the smallest bandwidth; use the leave-one-out score")
        if np.argmin(scores) == np.argmax(plain):  # the same candidate: one message names both
            mistakes = [Mistake(cands[np.argmin(scores)], smallest + "; or " + by_plain)]
        else:
            mistakes = [Mistake(cands[np.argmin(scores)], smallest), Mistake(cands[np.argmax(plain)], by_plain)]
        mistakes.append(Mistake(np.max(scores), "returned the best score; return the bandwidth that "
                                                "achieves it"))
        what = (f"select_bandwidth(X, candidates) with X of shape {X.shape} and {len(cands)} candidates "
                f"(in random order{', X 1-D and candidates a list' if d == 1 else ''})")

        def compare(module, X=X, cands=cands, scores=scores, got=got, what=what, mistakes=mistakes):
            if module is None:
                expect_close(got, cands[np.argmax(scores)], what, rtol=1e-12, mistakes=mistakes)
            else:  # the arg-max of your own leave-one-out scores
                expect_close(got, own_choice(module, X, cands), what + ", compared with the candidate "
                             "your own loo_log_likelihood scores best", rtol=1e-12)

        carry.check(compare, uses=USES_LOO)


@points(2, depends={"test_loo_log_likelihood": "select_bandwidth scores the candidates with loo_log_likelihood (if yours calls it)"})
def test_select_bandwidth_tie(student, carry, rng):
    """select_bandwidth with an exact tie (the best candidate three times): the earliest wins

    Carries forward: with your own loo_log_likelihood or select_bandwidth failing its test, the
    expected candidate is the one chosen (by your own functions) without the repeated copies."""
    X = mixture_data(rng, 60, 2)
    cands, scores = candidates_with_clear_maximum(rng, X, 6)
    best = float(cands[np.argmax(scores)])
    tied = [best, *cands.tolist(), best]  # the best three times: an exact tie, earliest wins
    got = student.select_bandwidth(X, tied)
    what = "select_bandwidth(X, candidates) when the best candidate appears three times (an exact tie)"

    def compare(module):
        if module is None:
            expect_close(got, best, what, rtol=1e-12)
        else:  # a repeated candidate changes no choice
            expect_close(got, own_choice(module, X, cands), what + ", compared with your own choice "
                         "among the candidates without the copies", rtol=1e-12)

    carry.check(compare, uses={**USES_LOO, "select_bandwidth": "test_select_bandwidth"})


@points(1)
def test_select_bandwidth_single_candidate(student, rng):
    """select_bandwidth with a single candidate returns it"""
    X = mixture_data(rng, 60, 2)
    h = float(rng.uniform(0.2, 2.0))
    got = student.select_bandwidth(X, [h])
    expect_close(got, h, "select_bandwidth(X, [h]) with a single candidate", rtol=1e-12)
