"""gmm, part 4: GaussianMixtureEM.fit — EM exactly as scikit-learn runs it (26 points)."""
import warnings

import numpy as np
from scipy import stats
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from types import SimpleNamespace

from autograder.harness import (Mistake, expect, expect_array, expect_close, expect_equal, expect_history,
                                fail, match_components, points, reference, same_for_every_student)
from datasets import load_old_faithful, random_gmm, sample_gmm

ref = reference("gmm")
FAITHFUL = load_old_faithful()
FAITHFUL_STD = load_old_faithful(standardize=True)


def sklearn_converged(X, k):
    """scikit-learn's fit with a tight tol (its default k-means start, seed 0)."""
    return GaussianMixture(k, tol=1e-12, max_iter=10_000, random_state=0).fit(X)


# Old Faithful, K = 2, full covariances: the maximum likelihood fit. Its total log-likelihood
# is −1130.2640 (docs/FACTS.md: scikit-learn and R's mclust reach the same); on the standardised
# data it is that value + n·log(s₁s₂) (the Jacobian of the scaling).
SK_FAITHFUL = sklearn_converged(FAITHFUL, 2)
SK_FAITHFUL_STD = sklearn_converged(FAITHFUL_STD, 2)
LL_FAITHFUL = SK_FAITHFUL.score(FAITHFUL) * len(FAITHFUL)
LL_FAITHFUL_STD = SK_FAITHFUL_STD.score(FAITHFUL_STD) * len(FAITHFUL)
assert abs(LL_FAITHFUL - (-1130.2640)) < 1e-3, LL_FAITHFUL  # the documented value (a self-check)
assert abs(LL_FAITHFUL_STD - LL_FAITHFUL - len(FAITHFUL) * np.log(np.prod(FAITHFUL.std(0, ddof=1)))) < 1e-6


# ----------------------------------------------------------------------------- helpers


def to_matrices(covs, covariance_type, d):
    covs = np.asarray(covs, dtype=float)
    if covariance_type == "full":
        return covs
    if covariance_type == "diag":
        return np.stack([np.diag(v) for v in covs])
    return np.stack([v * np.eye(d) for v in covs])


def total_log_likelihood(X, weights, means, covs, covariance_type):
    """Σᵢ log Σₖ πₖ N(xᵢ; μₖ, Σₖ), computed here with scipy.stats."""
    matrices = to_matrices(covs, covariance_type, X.shape[1])
    logp = np.stack([stats.multivariate_normal(m, c).logpdf(X) for m, c in zip(means, matrices)], axis=1)
    return float(logsumexp(logp + np.log(weights), axis=1).sum())


def common_start(rng, X, k, covariance_type):
    """A starting point (weights, means, covariances): K random rows as means, random weights,
    the data covariance scaled by a random factor per component."""
    n, d = X.shape
    means = X[rng.choice(n, size=k, replace=False)].copy()
    weights = rng.dirichlet(np.full(k, 5.0))
    cov = np.cov(X.T, bias=True).reshape(d, d)
    scale = rng.uniform(0.5, 1.5, size=k)
    if covariance_type == "full":
        covs = scale[:, None, None] * cov
    elif covariance_type == "diag":
        covs = scale[:, None] * np.diag(cov)
    else:
        covs = scale * np.diag(cov).mean()
    return weights, means, covs


#: what the checks read of a fit by scikit-learn / by the reference (all a cached fit holds)
SKLEARN_FIT = ("weights_", "means_", "covariances_", "n_iter_", "converged_", "lower_bound_")
REFERENCE_FIT = ("weights_", "means_", "covariances_", "n_iter_", "converged_", "log_likelihood_history_")


def fitted(model, names):
    """The attributes ``names`` of a fitted ``model`` as immutable plain data: arrays (and lists) as
    read-only copies, scalars as they are; never the live estimator, which a test could alter."""
    values = {}
    for name in names:
        value = getattr(model, name)
        if isinstance(value, (list, np.ndarray)):
            value = np.array(value)
            value.setflags(write=False)
        values[name] = value
    return SimpleNamespace(**values)


@same_for_every_student
def sklearn_from(X, start, covariance_type, **kwargs):
    """sklearn.mixture.GaussianMixture started from ``start`` (precisions_init = inverse covariances):
    its fitted attributes (:data:`SKLEARN_FIT`). Computed once per grader process: the class shares
    one seed, so every student's test draws the same data and starts."""
    weights, means, covs = start
    precisions = np.linalg.inv(covs) if covariance_type == "full" else 1.0 / covs
    gm = GaussianMixture(len(weights), covariance_type=covariance_type, weights_init=weights,
                         means_init=means, precisions_init=precisions, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fitted(gm.fit(X), SKLEARN_FIT)


@same_for_every_student
def sklearn_fit(X, k, **kwargs):
    """GaussianMixture(k, random_state=0, **kwargs) from its own k-means start: its fitted attributes
    (:data:`SKLEARN_FIT`), computed once per grader process (the class shares one seed)."""
    return fitted(GaussianMixture(k, random_state=0, **kwargs).fit(X), SKLEARN_FIT)


def student_from(student, X, start, covariance_type, **kwargs):
    weights, means, covs = start
    model = student.GaussianMixtureEM(len(weights), covariance_type=covariance_type, weights_init=weights,
                                      means_init=means, covariances_init=covs, **kwargs)
    model.fit(X)
    return model


def expect_int(got, what):
    arr = expect_array(got, what, kind="iu")
    expect(arr.size == 1, f"{what}: expected one integer, got an array of shape {arr.shape}")
    return int(arr.reshape(()))


def expect_bool(got, what):
    arr = expect_array(got, what, finite=False)
    expect(arr.size == 1 and arr.dtype.kind in "biu" and arr.reshape(()).item() in (0, 1),
           f"{what}: expected True or False, got {got!r}")
    return bool(arr.reshape(()))


def expect_parameters(model, gm, covariance_type, what, rtol=1e-6):
    """The fitted weights_, means_, covariances_ equal scikit-learn's after matching the components."""
    k, d = gm.means_.shape
    perm = match_components(gm.means_, model.means_)
    weights = expect_array(model.weights_, f"{what}: weights_", shape=(k,))
    means = expect_array(model.means_, f"{what}: means_", shape=(k, d))
    shape = {"full": (k, d, d), "diag": (k, d), "spherical": (k,)}[covariance_type]
    covs = expect_array(model.covariances_, f"{what}: covariances_", shape=shape)
    for name, got, expected in [("weights_", weights, gm.weights_), ("means_", means, gm.means_),
                                ("covariances_", covs, gm.covariances_)]:
        expect_close(got[perm], expected, f"{what}: {name} (components matched to scikit-learn's)",
                     rtol=rtol, atol=1e-9 * np.abs(expected).max())


def reference_from(X, start, covariance_type, module=None, **kwargs):
    """The reference's run from ``start`` (its fitted attributes :data:`REFERENCE_FIT`, computed once per
    grader process) — or, with ``module``, the reference's loop on the student's own functions (error
    carried forward: :mod:`autograder.carry`), which runs the student's code and is never cached."""
    if module is None:
        return reference_run(X, start, covariance_type, **kwargs)
    return run_from(module, X, start, covariance_type, **kwargs)


def run_from(module, X, start, covariance_type, **kwargs):
    """``module``'s GaussianMixtureEM fitted to ``X`` from ``start``."""
    weights, means, covs = start
    return module.GaussianMixtureEM(len(weights), covariance_type=covariance_type, weights_init=weights,
                                    means_init=means, covariances_init=covs, **kwargs).fit(X)


@same_for_every_student
def reference_run(X, start, covariance_type, **kwargs):
    """The reference's own run from ``start``, as plain data (:data:`REFERENCE_FIT`): the class shares one
    seed, so every student's test draws the same data and starts, and grade-all's workers keep the runs."""
    return fitted(run_from(ref, X, start, covariance_type, **kwargs), REFERENCE_FIT)


def as_expected(model, n):
    """A reference run in the shape of scikit-learn's fitted attributes (what the checks read)."""
    history = np.asarray(model.log_likelihood_history_, dtype=float)
    return SimpleNamespace(weights_=np.asarray(model.weights_), means_=np.asarray(model.means_),
                           covariances_=np.asarray(model.covariances_), n_iter_=int(model.n_iter_),
                           converged_=bool(model.converged_), lower_bound_=history[-1] / n)


HISTORY_OF_MEANS = ("log_likelihood_history_ holds per-sample means (the total divided by n); the spec asks for "
                    "the totals Σᵢ log p(xᵢ)")
LL_AFTER_M_STEP = ("ll_t was evaluated after the M-step (it is one iteration ahead, so EM stops one iteration "
                   "early); ll_t is the E-step's log-likelihood of the parameters before the M-step of iteration t")
TOTAL_CHANGE = ("EM stopped when the change of the summed log-likelihood fell below tol; the rule divides it "
                "by n: |ll_t − ll_(t−1)| / n < tol")
#: the components EM composes, each with the tests of its own (error carried forward from them)
COMPONENTS = {cov: {"log_gaussian_prob": (f"test_log_gaussian_prob_{cov}", "test_log_gaussian_prob_full"),
                    "e_step": (f"test_e_step_{cov}", "test_e_step_full"),
                    "m_step": (f"test_m_step_{cov}", "test_m_step_full")}
              for cov in ("full", "diag", "spherical")}


def expect_same_run(model, gm, X, start, covariance_type, what, *, module=None, carry=None, **kwargs):
    """The history (entry by entry, where it first diverges), n_iter_, converged_ and the parameters equal
    the reference's / scikit-learn's run from ``start`` (``kwargs``: the fit's other arguments).

    With ``module`` (the student's own failed components) the reference's loop on them is the expectation.
    With ``carry``, what another test charges is not charged again: the history's values when
    test_fit_history failed on them, and the number of iterations when test_stopping_rule failed (the
    parameters are then those after as many iterations as the student's run made, at least 2)."""
    n = len(X)
    if carry is not None and carry.failed("test_stopping_rule"):
        n_iter = expect_int(model.n_iter_, f"{what}: n_iter_")
        expected_n_iter = (gm.n_iter_ if module is None else
                           reference_from(X, start, covariance_type, module, **kwargs).n_iter_)
        # what a wrong stopping rule gives: one iteration more or less (≤ for <, ll after the M-step), or
        # the summed change below tol; any other count is no stopping rule at all (a fixed count, say)
        rules = {expected_n_iter - 1, expected_n_iter + 1}
        if kwargs.get("tol", 1e-3) > 0:
            rules.add(reference_from(X, start, covariance_type, module,
                                     **{**kwargs, "tol": kwargs.get("tol", 1e-3) / n}).n_iter_)
        if n_iter != expected_n_iter and n_iter >= 2 and n_iter in rules:
            kwargs = {**kwargs, "tol": 0.0, "max_iter": n_iter}
            carry.note("stopping rule", "test_stopping_rule")
            gm = None
    expected = reference_from(X, start, covariance_type, module, **kwargs)
    if module is not None or gm is None:
        stop_charged, gm = gm is None, as_expected(expected, n)
    else:
        stop_charged = False
    history = np.asarray(expected.log_likelihood_history_)
    if carry is not None and carry.failed("test_fit_history"):
        got = expect_array(model.log_likelihood_history_, f"{what}: log_likelihood_history_", shape=(None,))
        if len(got) != len(history) or not np.allclose(got, history, rtol=1e-6, atol=1e-12):
            carry.note("log_likelihood_history_", "test_fit_history")
    else:
        mistakes = []
        if module is None and not stop_charged:
            longer = reference_from(X, start, covariance_type, **{**kwargs, "tol": 0.0,
                                                                  "max_iter": max(len(history) + 1, 2)})
            tol = kwargs.get("tol", 1e-3)
            total = reference_from(X, start, covariance_type, **{**kwargs, "tol": tol / n})
            mistakes = [Mistake(history / n, HISTORY_OF_MEANS),
                        Mistake(np.asarray(longer.log_likelihood_history_[1:len(history)]), LL_AFTER_M_STEP)]
            if total.n_iter_ != len(history):
                mistakes.append(Mistake(np.asarray(total.log_likelihood_history_), TOTAL_CHANGE))
        got = expect_history(model.log_likelihood_history_, history, f"{what}: log_likelihood_history_",
                             start=1, mistakes=mistakes)
        expect_close(got[-1] / n, gm.lower_bound_, f"{what}: log_likelihood_history_[-1] / n (scikit-learn's "
                                                   "lower_bound_)")
    n_iter = expect_int(model.n_iter_, f"{what}: n_iter_")
    expect_equal(n_iter, gm.n_iter_, f"{what}: n_iter_ (the number of EM iterations, scikit-learn's)")
    expect(len(got) == n_iter, f"{what}: log_likelihood_history_ should hold one entry per iteration "
                               f"(n_iter_ = {n_iter}); it holds {len(got)}")
    if not stop_charged:
        expect_equal(expect_bool(model.converged_, f"{what}: converged_"), gm.converged_, f"{what}: converged_")
    expect_parameters(model, gm, covariance_type, what)


def same_run(carry, model, gm, X, start, covariance_type, what, **kwargs):
    """:func:`expect_same_run`, carried forward from the student's own failed EM components."""
    carry.check(lambda module: expect_same_run(model, gm, X, start, covariance_type, what, module=module,
                                               carry=carry, **kwargs),
                uses=COMPONENTS[covariance_type], iterative=True)


def synthetic(rng, n, d, k, covariance_type="full", separation=2.5):
    w, m, c = random_gmm(k, d, covariance_type=covariance_type, separation=separation, rng=rng)
    return sample_gmm(n, w, m, c, covariance_type=covariance_type, rng=rng)[0]


# ----------------------------------------------------------------------------- tests


FIT = "GaussianMixtureEM.fit runs your "
FIT_DEPENDS = {cov: {f"test_e_step_{cov}": FIT + "e_step", f"test_m_step_{cov}": FIT + "m_step"}
               for cov in ("full", "diag", "spherical")}
# The loop's own tests run first: what they charge (when EM stops; the history's values) is not
# charged again by the tests of the parameters (error carried forward: expect_same_run).
SIGNED_CHANGE = ("the signed change was used in the stopping rule: the log-likelihood decreased here and "
                 "(ll_t − ll_(t−1)) / n < tol was taken for convergence; the rule uses the absolute value, "
                 "|ll_t − ll_(t−1)| / n < tol")
NOT_STRICT = ("EM stopped on a change of exactly 0 with tol = 0: the rule is strict, |ll_t − ll_(t−1)| / n < tol "
              "(not ≤), so tol = 0 never stops early")


def expect_iterations(model, expected, what, mistakes=()):
    """n_iter_, the history's length and converged_ are those of the run ``expected``; a run that stops
    early or late is told how many iterations it made ("stopped after 7 of 12 iterations")."""
    n_iter = expect_int(model.n_iter_, f"{what}: n_iter_")
    history = expect_array(model.log_likelihood_history_, f"{what}: log_likelihood_history_", shape=(None,),
                           finite=False)
    expect(len(history) == n_iter, f"{what}: log_likelihood_history_ should hold one entry per iteration "
                                   f"(n_iter_ = {n_iter}); it holds {len(history)}")
    want = int(expected.n_iter_)
    if n_iter != want:
        hints = "".join(f"\nLikely mistake: {message}" for value, message in mistakes if value == n_iter)
        fail(f"{what}: EM stopped after {n_iter} of the {want} iterations it should make "
             f"(converged_ = {expected.converged_} after iteration {want}); check the stopping rule" + hints)
    expect_equal(expect_bool(model.converged_, f"{what}: converged_"), bool(expected.converged_),
                 f"{what}: converged_")


@points(2, depends=FIT_DEPENDS["full"])
def test_stopping_rule(student, carry, rng):
    """fit's stopping rule: when EM stops (n_iter_, converged_): strict <, the absolute change, divided by n"""
    # K = 1: after the first M-step the parameters are the maximum likelihood ones and every later
    # iteration reproduces them exactly, so the change is exactly 0: with tol = 0, only `<` goes on.
    X1 = synthetic(rng, 200, 2, 1)
    max_iter = 6
    start1 = common_start(rng, X1, 1, "full")
    # a start at the optimum (reg_covar = 1e-6), fitted with a large reg_covar: the first M-step inflates
    # the covariances, so ll_2 < ll_1 by far more than tol·n; only the signed change takes that for convergence
    X2 = synthetic(rng, 300, 2, 2, separation=4.0)
    gm0 = sklearn_fit(X2, 2, tol=1e-10, max_iter=1000)
    start2 = (gm0.weights_, gm0.means_, gm0.covariances_)
    reg = 0.5
    # tol = 1e-3 per sample: the summed change falls below it hundreds of iterations later
    X3 = synthetic(rng, 300, 2, 3, separation=2.0)
    start3 = common_start(rng, X3, 3, "full")
    cases = [(f"GaussianMixtureEM(1, tol=0, max_iter={max_iter}) from a given start on 200 samples in 2-D",
              X1, start1, {"tol": 0.0, "max_iter": max_iter}),
             (f"GaussianMixtureEM(2, reg_covar={reg}) started at the maximum likelihood fit (reg_covar=1e-6)",
              X2, start2, {"reg_covar": reg}),
             ("GaussianMixtureEM(3, tol=1e-3, max_iter=1000) from a given start on 300 samples in 2-D",
              X3, start3, {"tol": 1e-3, "max_iter": 1000})]
    models = [student_from(student, X, start, "full", **kwargs) for _, X, start, kwargs in cases]

    def compare(module):
        for (what, X, start, kwargs), model in zip(cases, models):
            expected = reference_from(X, start, "full", module, **kwargs)
            mistakes = []
            if module is None:  # the catalogued rules, each run by the reference (positive evidence)
                history = np.asarray(expected.log_likelihood_history_)
                if kwargs.get("tol") == 0.0:
                    repeats = np.flatnonzero(np.diff(history) == 0)
                    expect(len(repeats) > 0, "self-check: the K=1 history should repeat exactly")  # trusted
                    mistakes.append((int(repeats[0]) + 2, NOT_STRICT))
                else:
                    if "reg_covar" in kwargs:
                        expect(len(history) > 2 and history[1] < history[0] - 1e-3 * len(X),
                               "self-check: ll must drop")  # trusted
                        mistakes.append((2, SIGNED_CHANGE))
                    tol = kwargs.get("tol", 1e-3)
                    total = reference_from(X, start, "full", **{**kwargs, "tol": tol / len(X)})
                    if total.n_iter_ != expected.n_iter_:
                        mistakes.append((int(total.n_iter_), TOTAL_CHANGE))
            expect_iterations(model, expected, what, mistakes)

    carry.check(compare, uses=COMPONENTS["full"], iterative=True)


def check_history(model, X, covariance_type, tol, max_iter, what, *, module=None, carry=None):
    """The history is consistent with the stopping rule, never decreases, and ends below the fit.

    With ``module`` (the student's own failed components) only the stopping rule is checked: EM on a
    wrong density need not increase it. When test_stopping_rule failed, the stopping rule is charged there."""
    n = len(X)
    n_iter = expect_int(model.n_iter_, f"{what}: n_iter_")
    converged = expect_bool(model.converged_, f"{what}: converged_")
    history = expect_array(model.log_likelihood_history_, f"{what}: log_likelihood_history_", shape=(None,))
    expect(len(history) == n_iter, f"{what}: log_likelihood_history_ should hold one entry per iteration "
                                   f"(n_iter_ = {n_iter}); it holds {len(history)}")
    expect(1 <= n_iter <= max_iter, f"{what}: n_iter_ = {n_iter}, expected between 1 and max_iter = {max_iter}")
    if module is None:
        for t in range(1, n_iter):
            drop = history[t - 1] - history[t]
            hint = (" (at iteration 1 the parameters are the start's: do the start's weights sum to 1? the random "
                    "responsibilities must be normalised row by row before the M-step)") if t == 1 else ""
            expect(drop <= 1e-9 * abs(history[t - 1]),
                   f"{what}: the log-likelihood decreased from iteration {t} to {t + 1} "
                   f"({history[t - 1]:.10g} → {history[t]:.10g}); EM never decreases it: check the E- and M-step"
                   + hint)
    if carry is not None and carry.failed("test_stopping_rule"):
        carry.note("stopping rule", "test_stopping_rule")
    else:
        changes = np.abs(np.diff(np.r_[-np.inf, history])) / n
        expect(np.all(changes[:-1] >= tol),
               f"{what}: the change per sample fell below tol = {tol:g} at iteration "
               f"{int(np.argmax(changes < tol)) + 1}, but EM went on to iteration {n_iter}; stop there")
        expect(converged == bool(changes[-1] < tol),
               f"{what}: converged_ = {converged}, but the last change per sample |ll_t − ll_(t−1)| / n = "
               f"{changes[-1]:.3g} is {'below' if changes[-1] < tol else 'not below'} tol = {tol:g}")
        expect(converged or n_iter == max_iter,
               f"{what}: EM stopped after {n_iter} iterations, neither converged nor at max_iter = {max_iter}")
    # the parameters after the last M-step are at least as good as those before it
    weights = expect_array(model.weights_, f"{what}: weights_")
    means = expect_array(model.means_, f"{what}: means_")
    covs = expect_array(model.covariances_, f"{what}: covariances_")
    if module is None:
        final = total_log_likelihood(X, weights, means, covs, covariance_type)
        expect(final >= history[-1] - 1e-9 * abs(history[-1]),
               f"{what}: the fitted parameters have log-likelihood {final:.10g}, below the last history entry "
               f"{history[-1]:.10g}; the fitted parameters must be those after the last M-step")
    return history


def start_log_likelihood(module, X, start, covariance_type="full"):
    """The log-likelihood of ``start``: scipy's, or the reference's e_step on the student's own functions."""
    if module is None:
        return total_log_likelihood(X, *start, covariance_type)
    return float(module.e_step(X, *start, covariance_type)[1])


@points(5, depends={"test_e_step_full": FIT + "e_step", "test_m_step_full": FIT + "m_step",
                    "test_kmeans_random_start": "the k-means start runs your kmeans"})
def test_fit_history(student, carry, rng):
    """fit: log_likelihood_history_ holds totals (the first the start's own), never decreases, and is consistent with the stopping rule (random and k-means starts)"""
    X = synthetic(rng, 300, 2, 3, separation=2.0)
    n = len(X)
    # from a given start: the first entry is the log-likelihood of the start itself (a total)
    start = common_start(rng, X, 3, "full")
    given = student_from(student, X, start, "full", tol=0.0, max_iter=12)
    given_what = "GaussianMixtureEM(3) from a given start with tol=0, max_iter=12"
    # the "random" start with K = 1: every normalised row is [1], so the start is the maximum likelihood
    # Gaussian (sample mean, covariance with 1/n, + reg_covar·I) whatever random numbers were drawn
    one_seed = int(rng.integers(2**31))
    one_what = f"GaussianMixtureEM(1, init_params='random', random_state={one_seed}, max_iter=1) on {n} samples in 2-D"
    one = student.GaussianMixtureEM(1, init_params="random", random_state=one_seed, max_iter=1).fit(X)
    mle = (np.ones(1), X.mean(axis=0)[None], (np.cov(X.T, bias=True) + 1e-6 * np.eye(2))[None])
    # k-means starts with K = 2 only: Lloyd's algorithm never leaves one of 2 clusters empty (with
    # K ≥ 3 a uniform start sometimes does, and the spec's M-step then divides 0 by 0)
    X2 = synthetic(rng, 250, 2, 2, separation=2.0)
    runs = []
    for data, k, init_params, covariance_type in [(X, 3, "random", "full"), (X2, 2, "kmeans", "diag"),
                                                  (X2, 2, "kmeans", "full")]:
        seed = int(rng.integers(2**31))
        what = f"GaussianMixtureEM({k}, covariance_type={covariance_type!r}, init_params={init_params!r}, " \
               f"random_state={seed}, tol=1e-4, max_iter=500) on {len(data)} samples in 2-D"
        model = student.GaussianMixtureEM(k, covariance_type=covariance_type, init_params=init_params,
                                          random_state=seed, tol=1e-4, max_iter=500)
        model.fit(data)
        runs.append((model, data, covariance_type, what))
    after_m_step = reference_from(X, start, "full", tol=0.0, max_iter=2).log_likelihood_history_[1]

    def compare(module):
        history = expect_array(given.log_likelihood_history_, f"{given_what}: log_likelihood_history_",
                               shape=(None,))
        # with tol = 0 no stopping rule, right or wrong (≤, the signed or the summed change), stops before
        # max_iter here: a shorter history is no stopping rule at all (a fixed count), charged here
        expect(len(history) == 12, f"{given_what}: EM stopped after {len(history)} of the 12 iterations "
               "asked for (with tol = 0 it never stops early: |ll_t − ll_(t−1)| / n < 0 is never true; "
               "check the stopping rule)")
        first = start_log_likelihood(module, X, start)
        mistakes = [] if module is not None else [Mistake(first / n, HISTORY_OF_MEANS),
                                                  Mistake(after_m_step, LL_AFTER_M_STEP)]
        expect_close(history[0], first, f"{given_what}: log_likelihood_history_[0] (the log-likelihood of the "
                                        "start)", mistakes=mistakes)
        check_history(given, X, "full", 0.0, 12, given_what, module=module, carry=carry)
        history = expect_array(one.log_likelihood_history_, f"{one_what}: log_likelihood_history_", shape=(1,))
        first = (total_log_likelihood(X, *mle, "full") if module is None else module.GaussianMixtureEM(
            1, init_params="random", random_state=one_seed, max_iter=1).fit(X).log_likelihood_history_[0])
        # positive evidence of the mistake: the same random numbers, each row left unnormalised
        raw = np.random.default_rng(one_seed).uniform(size=(n, 1))
        unnormalised = total_log_likelihood(X, *ref.m_step(X, raw, "full", 1e-6), "full")
        expect_close(history[0], first,
                     f"{one_what}: log_likelihood_history_[0] (the log-likelihood of the start, which for K = 1 is "
                     "the maximum likelihood Gaussian: the random responsibilities, each row normalised to sum to "
                     "1, are all 1)", rtol=1e-9, mistakes=[] if module is not None else [Mistake(
                         unnormalised, "the random responsibilities were not normalised: each row normalised to "
                                       "sum to 1 before the M-step (for K = 1 every row is then [1])")])
        for model, data, covariance_type, what in runs:
            check_history(model, data, covariance_type, 1e-4, 500, what, module=module, carry=carry)

    carry.check(compare, uses=COMPONENTS["full"], iterative=True)


@points(5, depends=FIT_DEPENDS["full"])
def test_fit_matches_sklearn_full(student, carry, rng):
    """fit from a given start, full covariances: the history, parameters, n_iter_, converged_ and lower bound of scikit-learn"""
    cases = [
        ("400 samples of a 3-component 3-D mixture, K=3", synthetic(rng, 400, 3, 3), 3, {}),
        ("Old Faithful (raw), K=2", FAITHFUL, 2, {}),
        ("Old Faithful (standardised), K=3", FAITHFUL_STD, 3, {}),
        ("Old Faithful shifted by 10⁴ (far from the origin), K=2", FAITHFUL + 1e4, 2, {}),
        ("300 samples in 2-D, K=4, reg_covar=1e-3, tol=1e-4", synthetic(rng, 300, 2, 4), 4,
         {"reg_covar": 1e-3, "tol": 1e-4}),
        ("200 samples in 2-D, K=2, max_iter=3, tol=0 (stops unconverged)", synthetic(rng, 200, 2, 2), 2,
         {"max_iter": 3, "tol": 0.0}),
    ]
    for what, X, k, kwargs in cases:
        start = common_start(rng, X, k, "full")
        gm = sklearn_from(X, start, "full", **kwargs)
        model = student_from(student, X, start, "full", **kwargs)
        same_run(carry, model, gm, X, start, "full", f"GaussianMixtureEM on {what}", **kwargs)


def check_fit_diag_spherical(student, carry, rng, covariance_type):
    cases = [
        (f"300 samples of a 3-component 3-D {covariance_type} mixture, K=3",
         synthetic(rng, 300, 3, 3, covariance_type), 3),
        ("Old Faithful (standardised), K=2", FAITHFUL_STD, 2),
    ]
    for what, X, k in cases:
        start = common_start(rng, X, k, covariance_type)
        gm = sklearn_from(X, start, covariance_type)
        model = student_from(student, X, start, covariance_type)
        same_run(carry, model, gm, X, start, covariance_type,
                 f"GaussianMixtureEM(covariance_type={covariance_type!r}) on {what}")


@points(3, depends=FIT_DEPENDS["diag"])
def test_fit_matches_sklearn_diag(student, carry, rng):
    """fit from a given start, diag covariances: the history, parameters, n_iter_ and converged_ of scikit-learn"""
    check_fit_diag_spherical(student, carry, rng, "diag")


@points(3, depends=FIT_DEPENDS["spherical"])
def test_fit_matches_sklearn_spherical(student, carry, rng):
    """fit from a given start, spherical covariances: the history, parameters, n_iter_ and converged_ of scikit-learn"""
    check_fit_diag_spherical(student, carry, rng, "spherical")


@points(5, depends={"test_e_step_full": FIT + "e_step", "test_m_step_full": FIT + "m_step",
                    "test_kmeans_random_start": "the k-means start runs your kmeans",
                    "test_fit_history": "the history of your fit", "test_stopping_rule": "your fit's stopping rule"})
def test_old_faithful(student, rng, artifacts):
    """end to end (reference only): fit on Old Faithful from k-means, K=2, full, reaches the maximum likelihood fit, total log-likelihood −1130.2640"""
    # The assignment's one end-to-end test: compared with the reference alone, never carried forward
    # (docs/GRADING.md, "Partial credit"), so "does it all work" still costs something.
    # Every pair of distinct rows of Old Faithful (raw or standardised) leads Lloyd's algorithm to the
    # same two clusters (checked exhaustively over all 36,856 pairs), so every correct k-means start,
    # k-means++ or uniform, gives the same first EM step; EM then reaches the maximum (checked for the
    # reference over 300 random_state values).
    for what, X, gm, target in [("Old Faithful (raw)", FAITHFUL, SK_FAITHFUL, LL_FAITHFUL),
                                ("Old Faithful (standardised)", FAITHFUL_STD, SK_FAITHFUL_STD, LL_FAITHFUL_STD)]:
        seed = int(rng.integers(2**31))
        what = f"GaussianMixtureEM(2, tol=1e-9, max_iter=1000, random_state={seed}) on {what}"
        model = student.GaussianMixtureEM(2, tol=1e-9, max_iter=1000, random_state=seed)
        model.fit(X)
        artifacts.setdefault("gmm_fit", lambda m=model, X=X, gm=gm: {  # the feedback's picture (raw data), read
            "X": X, "weights": m.weights_, "means": m.means_, "covariances": m.covariances_,  # after the test
            # the expected fit beside the student's (the maximum-likelihood fit the test compares with)
            "ref_weights": gm.weights_, "ref_means": gm.means_, "ref_covariances": gm.covariances_})
        expect(expect_bool(model.converged_, f"{what}: converged_"), f"{what}: did not converge")
        history = expect_array(model.log_likelihood_history_, f"{what}: log_likelihood_history_", shape=(None,))
        first = ref.GaussianMixtureEM(2, max_iter=1, random_state=0).fit(X).log_likelihood_history_[0]
        expect_close(history[0], first, f"{what}: log_likelihood_history_[0] (the log-likelihood of the "
                                        "k-means start; every correct k-means finds the same two clusters here)",
                     mistakes=[Mistake(first / len(X), HISTORY_OF_MEANS)])
        expect_close(history[-1], target, f"{what}: the converged total log-likelihood", rtol=0, atol=1e-3)
        expect_parameters(model, gm, "full", what, rtol=1e-4)


@points(3, depends={"test_m_step_full": "fit runs your m_step", "test_e_step_full": "fit runs your e_step"})
def test_fit_duplicated_points(student, carry, rng):
    """reg_covar keeps a component on identical points finite: m_step, e_step and fit as scikit-learn's"""
    d = 2
    point = rng.normal(scale=5.0, size=d)
    blob_a = rng.normal(size=(80, d))
    blob_b = rng.normal(size=(60, d)) * 0.7 + point + 6.0
    X = np.vstack([blob_a, np.tile(point, (10, 1)), blob_b])  # 10 identical rows
    labels = np.repeat([0, 1, 2], [80, 10, 60])
    order = rng.permutation(len(X))
    X, labels = X[order], labels[order]
    resp = np.eye(3)[labels]
    what = "m_step on data with 10 identical rows that form component 1 (one-hot resp)"
    # an m_step that fails its own tests is charged there, not again here (error carried forward)
    for covariance_type in () if carry.failed("test_m_step_full") else ("full", "diag"):
        got = student.m_step(X, resp, covariance_type, 1e-6)
        expect(isinstance(got, (tuple, list)) and len(got) == 3,
               f"m_step should return (weights, means, covariances), got {type(got).__name__}")
        start = ref.m_step(X, resp, covariance_type, 1e-6)
        eye = np.eye(d) if covariance_type == "full" else 1.0
        expect_close(got[2], start[2], f"{what}, {covariance_type!r}: the covariances", atol=1e-12, mistakes=[
            Mistake(start[2] - 1e-6 * eye, "reg_covar was not added: the covariance of a component on identical "
                    "points is 0, not positive definite, and its Cholesky factorisation fails; add reg_covar to "
                    "the diagonal"),
        ])
    # the E-step with that start is finite (the identical rows have density ~1/(2π·1e-6))
    start = ref.m_step(X, resp, "full", 1e-6)
    got = student.e_step(X, *start, "full")
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"e_step should return (resp, log_likelihood), got {type(got).__name__}")
    gm = sklearn_from(X, start, "full")
    model = student_from(student, X, start, "full")

    def compare(module):
        expect_close(got[1], start_log_likelihood(module, X, start),
                     "e_step with a component of covariance reg_covar·I on the identical rows: the log-likelihood")
        # EM from there, as scikit-learn (which succeeds thanks to reg_covar as well)
        expect_same_run(model, gm, X, start, "full", "GaussianMixtureEM(3) from that start", module=module,
                        carry=carry)

    carry.check(compare, uses={"log_gaussian_prob": "test_log_gaussian_prob_full", "e_step": "test_e_step_full",
                               "m_step": "test_m_step_full"}, iterative=True)
