"""mle, part 1: the Bernoulli MLE and log-likelihood (18 points)."""
import numpy as np
from scipy import stats

from autograder.harness import Mistake, expect_close, fail, points, reference

ref = reference("mle")

#: The small constants students add inside a log to avoid log 0 (log(p + ε)).
COMMON_EPS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15, 1e-16, 1e-20, 1e-30, 1e-100, 1e-300,
              float(np.finfo(float).eps), float(np.finfo(float).tiny))


def eps_mistakes(values_of_eps, what):
    """One Mistake per common ε: ``values_of_eps(eps)`` is the wrong answer a log(· + ε) gives."""
    return [Mistake(values_of_eps(eps), f"{what}: a small ε (here {eps:g}) was added inside the log; "
                                        "log(p + ε) puts a floor of log ε where the answer is "
                                        "−inf or far below it. Use the exact convention instead")
            for eps in COMMON_EPS]


@points(5)
def test_bernoulli_mle(student, rng):
    """bernoulli_mle: the fraction of ones, on fresh samples of several sizes (lists too)"""
    for n, theta in [(1, 0.5), (7, 0.3), (200, rng.uniform(0.05, 0.95)), (5000, 0.02)]:
        x = (rng.random(n) < theta).astype(int)
        got = student.bernoulli_mle(x.tolist() if n == 7 else x)
        kind = " (a list)" if n == 7 else ""
        expect_close(got, ref.bernoulli_mle(x), f"bernoulli_mle(x) with n={n}{kind}", mistakes=[
            Mistake(x.sum(), "returned the number of ones; the MLE is their fraction (divide by n)"),
            Mistake(1 - x.mean(), "returned the fraction of zeros; θ is P(x = 1)"),
        ])


@points(6)
def test_bernoulli_log_likelihood(student, rng):
    """bernoulli_log_likelihood: equals the sum of scipy.stats.bernoulli.logpmf (n up to 5000, lists too)"""
    # n = 5000: the likelihood itself underflows to 0. With about 40 % ones its log is
    # 5000·(0.4·log θ + 0.6·log(1 − θ)) ≤ −3300 for every θ in [0.05, 0.95], far below the log of
    # the smallest double (−745), so log(prod(...)) is −inf while the sum of logs is exact.
    for n in (1, 10, 500, 5000):
        x = (rng.random(n) < 0.4).astype(int)
        theta = float(rng.uniform(0.05, 0.95))
        expected = stats.bernoulli.logpmf(x, theta).sum()
        got = student.bernoulli_log_likelihood(x.tolist() if n == 10 else x, theta)
        kind = " (x a list)" if n == 10 else ""
        mistakes = [
            Mistake(expected / n, "returned the mean log-likelihood; the spec asks for the sum"),
            Mistake(np.sum(x * np.log(theta)), "the (1 − x)·log(1 − θ) term is missing"),
            Mistake(np.exp(expected), "returned the likelihood, not its logarithm"),
        ]
        if expected < -745.2:  # exp(expected) is 0 in float64: log(prod(...)) gives −inf
            mistakes.append(Mistake(-np.inf, "the log was taken of the product of the probabilities, "
                                             "which underflows to 0 for many samples (log 0 = −inf): "
                                             "sum the logs instead"))
        expect_close(got, expected, f"bernoulli_log_likelihood(x, θ={theta:.4f}) with n={n}{kind}",
                     mistakes=mistakes)


#: distances from θ = 0 or 1 at which the limit of your own function is read (carry forward)
DELTAS = (1e-6, 1e-10, 1e-14)


def own_limit(module, x, theta, what):
    """The limit of your own bernoulli_log_likelihood(x, t) as t → θ (θ = 0 or 1), which the
    convention 0·log 0 = 0 makes its value at θ: read at t = θ ± 1e-6, 1e-10, 1e-14. Constant
    (within 1e-3) → that value; falling by the same amount per step (a log δ term) → −inf."""
    t = [d if theta == 0.0 else 1.0 - d for d in DELTAS]
    v = [float(module.bernoulli_log_likelihood(x, ti)) for ti in t]
    if not all(np.isfinite(v)):
        fail(f"{what}: your own bernoulli_log_likelihood is not finite next to θ = {theta:g} ({v})")
    steps = np.diff(v)
    if np.all(np.abs(steps) < 1e-3):
        return v[-1]
    if np.all(steps < -1.0) and abs(steps[1] - steps[0]) <= 1e-6 * abs(steps[0]):
        return -np.inf
    fail(f"{what}: your own bernoulli_log_likelihood has no clear limit as θ → {theta:g} ({v})")


@points(7)
def test_bernoulli_zero_log_zero(student, carry, rng):
    """bernoulli_log_likelihood at θ = 0 and θ = 1: 0·log 0 = 0, −inf only for impossible samples

    Carries forward: with your own bernoulli_log_likelihood failing its test, the expected values
    are your own function's limits as θ → 0 or 1 (0·log 0 = 0 is that limit)."""
    n = int(rng.integers(3, 20))
    zeros, ones = np.zeros(n, dtype=int), np.ones(n, dtype=int)
    mixed = np.r_[zeros[:2], ones[:2]]
    nan_hint = Mistake(np.nan, "0·log 0 came out as NaN: it must count as 0 (scipy.special.xlogy / "
                               "xlog1py do exactly that)")
    cases = [(zeros, 0.0, 0.0, "all zeros with θ = 0 (every sample certain)"),
             (ones, 1.0, 0.0, "all ones with θ = 1 (every sample certain)"),
             (mixed, 0.0, -np.inf, "a 1 with θ = 0 (an impossible sample)"),
             (mixed, 1.0, -np.inf, "a 0 with θ = 1 (an impossible sample)")]
    answers = [student.bernoulli_log_likelihood(x, theta) for x, theta, _, _ in cases]

    def compare(module):
        for (x, theta, expected, what), got in zip(cases, answers):
            what = f"bernoulli_log_likelihood for {what}"
            if module is not None:
                expect_close(got, own_limit(module, x, theta, what), what + ", compared with the limit of "
                             f"your own bernoulli_log_likelihood as θ → {theta:g}")
                continue

            def with_eps(eps, x=x, theta=theta):
                return float(np.sum(x * np.log(theta + eps) + (1 - x) * np.log(1 - theta + eps)))

            expect_close(got, expected, what, mistakes=[nan_hint, *eps_mistakes(with_eps, "log(θ + ε)")])

    carry.check(compare, uses={"bernoulli_log_likelihood": "test_bernoulli_log_likelihood"})
