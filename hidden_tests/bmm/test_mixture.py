"""bmm, part 3: BernoulliMixture fitted by EM (34 points)."""
from types import SimpleNamespace

import numpy as np
from scipy import stats
from scipy.special import logsumexp

from autograder.harness import (Mistake, expect, expect_array, expect_close, expect_equal, expect_history, fail,
                                follows_history, in_background, points, reference, same_for_every_student)
from autograder.sandbox import StudentCodeError
from hidden_tests.bmm.carried import X_MNIST, expect_own, own, with_private

ref = reference("bmm")

# Components are compared by index in this module: every fit starts from a given
# weights_init / probs_init, which fixes the order of the components.


def random_binary(rng, n, d, k, low=0.05, high=0.95):
    """n binary rows of d pixels drawn from a random K-component Bernoulli mixture."""
    probs = rng.uniform(low, high, size=(k, d))
    z = rng.integers(0, k, size=n)
    return (rng.random((n, d)) < probs[z]).astype(float)


def mnist_rows(rng, n):
    """n random binarised images of the shipped subset."""
    return X_MNIST[rng.choice(len(X_MNIST), n, replace=False)]


def partition_start(rng, X, k):
    """A probs_init no component of which dies at once: the smoothed mean image of each of k random disjoint
    parts of X (probabilities drawn independently per pixel make one component win every image in the first
    E-step, and a component that dies is test_dead_component's subject, not this test's)."""
    part = rng.permutation(len(X)) % k
    return np.stack([(X[part == j].sum(0) + 1.0) / ((part == j).sum() + 2.0) for j in range(k)])


def fitted(module, k, X, **kwargs):
    model = module.BernoulliMixture(k, **kwargs)
    model.fit(X)
    return model


#: what the checks read of a reference fit
REFERENCE_FIT = ("log_likelihood_history_", "n_iter_", "converged_", "weights_", "probs_")


def reference_fit(k, X, X_new=None, **kwargs):
    """The reference's BernoulliMixture(k, **kwargs).fit(X) as immutable plain data: its attributes
    :data:`REFERENCE_FIT` (arrays and the history as read-only arrays), with ``X_new`` also its
    ``predict_proba`` and ``score_samples`` there; never the live estimator, which a test could alter."""
    model = fitted(ref, k, X, **kwargs)
    values = {name: getattr(model, name) for name in REFERENCE_FIT}
    if X_new is not None:
        values.update(predict_proba=model.predict_proba(X_new), score_samples=model.score_samples(X_new))
    for name, value in values.items():
        if isinstance(value, (list, np.ndarray)):
            values[name] = value = np.array(value)
            value.setflags(write=False)
    return SimpleNamespace(**values)


@same_for_every_student
def reference_fits(X, runs, X_new=None):
    """:func:`reference_fit` of X for each ``(k, kwargs)`` of ``runs``, as a tuple. Computed once per
    grader process: grade-all grades the class with one seed, so every student's test draws the same
    X and starts (only the reference runs here, never the student's code)."""
    return tuple(reference_fit(k, X, X_new, **kwargs) for k, kwargs in runs)


def log_prob_test(carry):
    """The test that charges a mistake of bernoulli_log_prob: its main test, else its edge cases'."""
    main = "test_bernoulli_log_prob"
    return main if carry.own_failures({"bernoulli_log_prob": main}) else "test_bernoulli_log_prob_edges"


def steps_used(carry, model=False):
    """``uses`` of a test on fit: your steps. (Never your own BernoulliMixture in a test of
    BernoulliMixture: the "composition" would then be your own fit compared with itself; ``model``
    is kept for the callers and adds nothing.)"""
    uses = {"bmm_e_step": "test_e_step", "bmm_m_step": "test_m_step", "bernoulli_log_prob": log_prob_test(carry)}
    return with_private(uses)


def no_nan(got, what, hint, dead=None, axis=0):
    """The value as an array; a NaN anywhere fails with ``hint``, said as the likely mistake when every NaN
    lies in the empty components ``dead`` (indices along ``axis``): the evidence that they caused it."""
    arr = expect_array(got, what, finite=False)
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        where = np.argwhere(np.isnan(arr))
        idx = tuple(int(i) for i in where[0])
        if dead is not None and arr.ndim > axis and set(where[:, axis].tolist()) <= set(dead):
            fail(f"{what}: NaN at index {idx}, only in the empty component(s) {sorted(set(where[:, axis].tolist()))}"
                 f"\nLikely mistake: {hint}")
        fail(f"{what}: NaN at index {idx}. {hint}")
    return arr


INF_HINT = ("An infinite value here comes from the empty component: without smoothing (alpha = 0) its p is 0 or "
            "1 (or a division by N_k = 0 made it inf), so its log-probabilities are −inf for every image; an empty "
            "component gets p = 1/2 from the M-step, and its weight 0 enters only as log 0 = −inf inside "
            "logsumexp, never as an infinite responsibility, parameter or log-likelihood.")


def no_inf(arr, expected, what):
    """Fails where ``arr`` is ±inf but ``expected`` is finite, saying what an inf means there."""
    arr, expected = np.asarray(arr, dtype=float), np.asarray(expected, dtype=float)
    if arr.shape == expected.shape:
        bad = np.isinf(arr) & np.isfinite(expected)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
            fail(f"{what}: {arr[idx]} at index {idx}, expected {expected[idx]:.6g}. {INF_HINT}")
    return arr


def stopping_point(history, n_samples, tol, max_iter):
    """(n_iter, converged) of the spec's rule applied to a log-likelihood history."""
    previous = -np.inf
    for t, ll in enumerate(history[:max_iter], 1):
        if abs(ll - previous) / n_samples < tol:
            return t, True
        previous = ll
    return min(max_iter, len(history)), False


def expect_int(got, what):
    arr = expect_array(got, what, kind="iu")
    expect(arr.size == 1, f"{what}: expected one integer, got an array of shape {arr.shape}")
    return int(arr.reshape(()))


def expect_bool(got, what):
    arr = np.asarray(got) if isinstance(got, (bool, np.ndarray)) else None
    expect(arr is not None and arr.dtype.kind == "b" and arr.size == 1,
           f"{what}: expected True or False, got {got!r}")
    return bool(arr.reshape(()))


def log_prob_of(X, probs):
    """log p(x_n | k) for validated probs strictly inside (0, 1)."""
    return X @ np.log(probs).T + (1 - X) @ np.log1p(-probs).T


def em_steps_from(student, X, weights, probs, alpha):
    """[(weights, probs)] one EM iteration may give from (weights, probs): the spec's (the reference's
    bmm_e_step and bmm_m_step) and, carried forward, that of the student's own two steps when they run —
    so a wrong step is charged in its own test, never here. (The spec's step runs while the student's do.)"""
    spec = in_background(reference_em_step, X, weights, probs, alpha)
    out = []
    try:
        resp = np.asarray(student.bmm_e_step(X, weights, probs)[0], dtype=float)
        got = student.bmm_m_step(X, resp, alpha)
        out.append((np.asarray(got[0], dtype=float), np.asarray(got[1], dtype=float)))
    except StudentCodeError as exc:
        if exc.kind in ("timeout", "crash", "memory"):
            raise
    except (TypeError, ValueError, IndexError, KeyError):  # a reply that is not (resp, ll) / (weights, probs)
        pass
    return [spec.result(), *out]


def reference_em_step(X, weights, probs, alpha):
    """The spec's EM iteration from (weights, probs): bmm_m_step(X, bmm_e_step(X, weights, probs)[0], alpha)."""
    return ref.bmm_m_step(X, ref.bmm_e_step(X, weights, probs)[0], alpha)


def expect_em_step(student, X, before, model, alpha, what):
    """The model's weights_, probs_ are one EM iteration from ``before`` = (weights, probs): what was fitted
    is a fit of X, not parameters of the submission's own choosing. Returns them as arrays."""
    k, d = np.shape(before[1])
    weights = expect_array(model.weights_, f"{what}: weights_", shape=(k,))
    probs = expect_array(model.probs_, f"{what}: probs_", shape=(k, d))
    for w, p in em_steps_from(student, X, *before, alpha):
        if (np.shape(w) == weights.shape and np.shape(p) == probs.shape
                and np.allclose(weights, w, rtol=1e-6, atol=1e-12) and np.allclose(probs, p, rtol=1e-6, atol=1e-12)):
            return weights, probs
    fail(f"{what}: the fitted weights_ and probs_ are not one EM iteration from the parameters before it "
         "(bmm_m_step(X, bmm_e_step(X, weights, probs)[0], alpha), with the spec's steps or your own): fit must "
         "fit X, starting from weights_init and probs_init")


FIT = "BernoulliMixture.fit runs your "
STEPS = {"test_e_step": FIT + "bmm_e_step", "test_m_step": FIT + "bmm_m_step"}
HISTORY_OF_MEANS = "the history holds the mean log-likelihood; the spec asks for the total"
LL_AFTER_M_STEP = ("ll_t was computed after the M-step; it is the E-step's log-likelihood of the parameters "
                   "before the M-step of iteration t")


@points(9, depends=STEPS)
def test_em_trajectory(student, carry, rng):
    """BernoulliMixture.fit from weights_init / probs_init follows the reference's EM iterations"""
    cases = [("random binary data", random_binary(rng, 500, 40, 3, 0.2, 0.8), 3, 0.5, 12),
             ("1,000 MNIST images", mnist_rows(rng, 1000), 8, 1.0, 15)]
    runs = []
    for name, X, k, alpha, n_iter in cases:
        w0 = rng.dirichlet(np.full(k, 5.0))
        p0 = rng.uniform(0.25, 0.75, size=(k, X.shape[1]))
        kwargs = dict(alpha=alpha, tol=0.0, max_iter=n_iter, weights_init=w0, probs_init=p0)
        # array-likes: the first case gives weights_init and probs_init as plain lists
        given = dict(kwargs, weights_init=w0.tolist(), probs_init=p0.tolist()) if name.startswith("random") else kwargs
        # the spec's run, one more iteration, and the uniform start, while the student's fit runs
        spec = in_background(reference_fits, X, ((k, kwargs), (k, {**kwargs, "max_iter": n_iter + 1}),
                                                 (k, {**kwargs, "weights_init": None})))
        runs.append((name, X, k, alpha, n_iter, kwargs, given, fitted(student, k, X, **given), spec))

    def compare(module):
        for name, X, k, alpha, n_iter, kwargs, given, model, spec in runs:
            lists = " (given as lists)" if given is not kwargs else ""
            what = (f"BernoulliMixture({k}, alpha={alpha}, tol=0, max_iter={n_iter}, weights_init=w0, "
                    f"probs_init=p0{lists}).fit(X) on {name} (X {X.shape})")
            if module is not None:  # the reference's fit on your steps
                expected = fitted(own(module), k, X, **kwargs)
                expect_own(model.log_likelihood_history_, expected.log_likelihood_history_,
                           f"{what}: log_likelihood_history_")
                expect_equal(model.n_iter_, expected.n_iter_, f"{what}: n_iter_")
                expect_own(model.weights_, expected.weights_, f"{what}: weights_", atol=1e-9)
                expect_own(model.probs_, expected.probs_, f"{what}: probs_", atol=1e-9)
                continue
            expected, longer, uniform_start = spec.result()
            history = np.asarray(expected.log_likelihood_history_)
            expect_history(model.log_likelihood_history_, history, f"{what}: log_likelihood_history_", start=1,
                           mistakes=[
                               Mistake(history / X.shape[0], HISTORY_OF_MEANS),
                               Mistake(np.asarray(longer.log_likelihood_history_[1:]), LL_AFTER_M_STEP),
                               Mistake(np.asarray(uniform_start.log_likelihood_history_), "weights_init was ignored"),
                           ])
            expect_equal(model.n_iter_, n_iter, f"{what}: n_iter_ (tol=0 never stops early)", mistakes=[
                Mistake(n_iter - 1, "n_iter_ counts from 0; it is the number of iterations run")])
            expect_close(model.weights_, expected.weights_, f"{what}: weights_", atol=1e-9, mistakes=[
                Mistake(uniform_start.weights_, "weights_init was ignored")])
            expect_close(model.probs_, expected.probs_, f"{what}: probs_", atol=1e-9)

    carry.check(compare, uses=steps_used(carry), iterative=True)


@points(4, depends=STEPS)
def test_em_stopping_rule(student, carry, rng):
    """BernoulliMixture: stops when abs(ll_t − ll_(t−1)) / n < tol (strictly: tol = 0 never stops); n_iter_, converged_ and the last M-step"""
    X = mnist_rows(rng, 600)
    k, n = 5, X.shape[0]
    w0 = np.full(k, 1.0 / k)
    p0 = partition_start(rng, X, k)
    init = dict(weights_init=w0, probs_init=p0)
    settings = [(1e-3, 50), (float(rng.uniform(0.05, 0.5)), 50), (1e-3, 3)]
    # tol = 0: the strict rule |ll_t − ll_(t−1)| / n < 0 never holds. With K = 1 every responsibility
    # is 1, so from the second iteration on each M-step returns the same probs and the log-likelihood
    # stops changing exactly (a change of 0, which is not < 0): all max_iter iterations run.
    # (Drawn before the student's fits, which do not use rng: the same value as after them.)
    max_iter_1 = int(rng.integers(4, 8))
    spec = in_background(reference_stopping, X, k, init, settings, max_iter_1)  # while the student's fits run
    runs = [(tol, max_iter, fitted(student, k, X, tol=tol, max_iter=max_iter, **init)) for tol, max_iter in settings]
    model_1 = fitted(student, 1, X, tol=0.0, max_iter=max_iter_1, random_state=0)

    def compare(module):
        # with your own steps (or your own fit, when its trajectory test failed), the rule is applied to
        # the history they give: a wrong step is charged in its own test, a wrong rule here
        hints = module is None
        R = ref if module is None else own(module)
        spec_fits = spec.result() if hints else None
        full = np.asarray((spec_fits.full if hints else fitted(R, k, X, tol=0.0, max_iter=50, **init))
                          .log_likelihood_history_, dtype=float)
        spec_full = lambda: np.asarray(fitted(ref, k, X, tol=0.0, max_iter=50, **init).log_likelihood_history_)  # noqa: E731
        for i, (tol, max_iter, model) in enumerate(runs):
            what = (f"BernoulliMixture({k}, tol={tol:.4g}, max_iter={max_iter}, weights_init, probs_init) on 600 "
                    "MNIST images")
            expected = spec_fits.runs[i] if hints else fitted(R, k, X, tol=tol, max_iter=max_iter, **init)
            # the rule at tol·(1 ± 1e-6): a change that close to tol may stop either way in another float order;
            # on your own fit, also where the spec's history stops (your history may be what is wrong)
            allowed = {stopping_point(history, n, tol * f, max_iter) for f in (1 - 1e-6, 1, 1 + 1e-6)
                       for history in ([full] if hints else [full, spec_full()])}
            got_n_iter = expect_int(model.n_iter_, f"{what}: n_iter_")
            got_converged = expect_bool(model.converged_, f"{what}: converged_")
            if (got_n_iter, got_converged) not in allowed:
                t, conv = stopping_point(full, n, tol, max_iter)
                mistakes = {stopping_point(full, 1, tol, max_iter)[0]: "the change was not divided by n: the rule "
                            "is |ll_t − ll_(t−1)| / n < tol",
                            t - 1: "n_iter_ counts from 0 (or misses the last iteration); it is the number of "
                                   "iterations run, the t at which the loop stopped",
                            t + 1: "the loop ran one iteration past the stopping point"}
                message = (f"{what}: expected n_iter_ = {t} and converged_ = {conv}, got n_iter_ = {got_n_iter} "
                           f"and converged_ = {got_converged}")
                # a stopping mistake only where the path is right: a wrong M-step (no smoothing, say)
                # changes the history, and its n_iter_ may match a stopping mistake's by chance
                if (got_n_iter in mistakes and got_n_iter != t
                        and follows_history(model.log_likelihood_history_, full)):
                    message += f"\nLikely mistake: {mistakes[got_n_iter]}"
                fail(message)
            if not hints:  # your own steps' history (a NaN where they give NaN)
                expect_own(model.log_likelihood_history_, full[:got_n_iter], f"{what}: log_likelihood_history_")
                if expected.n_iter_ == got_n_iter:
                    expect_own(model.probs_, expected.probs_, f"{what}: probs_", atol=1e-9)
                    expect_own(model.weights_, expected.weights_, f"{what}: weights_", atol=1e-9)
                continue
            expect_history(model.log_likelihood_history_, full[:got_n_iter], f"{what}: log_likelihood_history_",
                           start=1)
            if expected.n_iter_ == got_n_iter:  # else a borderline stop, allowed above: no reference to compare
                before = spec_fits.before[i]  # the reference's fit with max_iter = got_n_iter − 1 (None for 1)
                expect_close(model.probs_, expected.probs_, f"{what}: probs_ (after the last M-step)", atol=1e-9,
                             mistakes=[] if before is None else [Mistake(
                                 before.probs_, "the parameters before the last M-step were kept; the fitted "
                                 "parameters are those after the M-step of the last iteration")])
                expect_close(model.weights_, expected.weights_, f"{what}: weights_", atol=1e-9)
        what = f"BernoulliMixture(1, tol=0, max_iter={max_iter_1}) on 600 MNIST images"
        expected = spec_fits.one if hints else fitted(R, 1, X, tol=0.0, max_iter=max_iter_1, random_state=0)
        got_n_iter = expect_int(model_1.n_iter_, f"{what}: n_iter_")
        got_converged = expect_bool(model_1.converged_, f"{what}: converged_")
        want = (expect_int(expected.n_iter_, "n_iter_"), expect_bool(expected.converged_, "converged_"))
        if (got_n_iter, got_converged) != want:
            fail(f"{what}: expected n_iter_ = {want[0]} and converged_ = {want[1]}, got "
                 f"n_iter_ = {got_n_iter} and converged_ = {got_converged}" + (
                     "\nLikely mistake: the stopping test is not strict: with tol = 0, a change of exactly 0 is not "
                     "< tol, so the loop runs all max_iter iterations (use <, not <=)" if hints else ""))

    carry.check(compare, uses=steps_used(carry, model=True), iterative=True)


@same_for_every_student
def reference_stopping(X, k, init, settings, max_iter_1):
    """test_em_stopping_rule's reference fits (:func:`reference_fit`) from ``init``: ``full`` (tol = 0,
    max_iter = 50), ``runs`` (one per (tol, max_iter) of ``settings``), ``before`` (each run's fit with
    one iteration less, None after one iteration: where the student stopped when it stopped where the
    reference does) and ``one`` (K = 1, tol = 0, max_iter_1, random_state = 0). Computed once per grader
    process: grade-all grades the class with one seed, so every student's test draws the same X and init."""
    runs = tuple(reference_fit(k, X, tol=tol, max_iter=max_iter, **init) for tol, max_iter in settings)
    before = tuple(reference_fit(k, X, tol=0.0, max_iter=run.n_iter_ - 1, **init) if run.n_iter_ > 1 else None
                   for run in runs)
    return SimpleNamespace(full=reference_fit(k, X, tol=0.0, max_iter=50, **init), runs=runs, before=before,
                           one=reference_fit(1, X, tol=0.0, max_iter=max_iter_1, random_state=0))


@points(5, depends=STEPS)
def test_penalized_objective_never_decreases(student, carry, rng):
    """BernoulliMixture: log-likelihood + log Beta prior of the fitted parameters never decreases"""
    # With alpha > 0 EM maximises ll + alpha·Σ_kd [log p_kd + log(1 − p_kd)] (the log of the
    # Beta(alpha + 1, alpha + 1) prior): that objective never decreases; the raw log-likelihood may.
    # The parameters after t iterations are those of a fit with max_iter=t (tol=0, the same init).
    cases = [("400 MNIST images", mnist_rows(rng, 400), 6, 1.0, 10),
             ("random binary data", random_binary(rng, 150, 30, 4, 0.2, 0.8), 4,
              round(float(rng.uniform(0.5, 3.0)), 3), 10)]
    runs = []
    for name, X, k, alpha, n_iter in cases:
        w0 = np.full(k, 1.0 / k)
        p0 = partition_start(rng, X, k)
        models = [fitted(student, k, X, alpha=alpha, tol=0.0, max_iter=t, weights_init=w0, probs_init=p0)
                  for t in range(1, n_iter + 1)]
        runs.append((name, X, k, alpha, w0, p0, models))

    def compare(module):
        for name, X, k, alpha, w0, p0, models in runs:
            objective = [ref.bmm_penalized_log_likelihood(X, w0, p0, alpha)]
            before = (w0, p0)
            for t, model in enumerate(models, 1):
                what = (f"BernoulliMixture({k}, alpha={alpha:g}, tol=0, max_iter={t}, weights_init, probs_init) "
                        f"on {name}")
                if module is not None:
                    # your own steps: the parameters after t iterations are one step of the reference's
                    # loop on your steps from those after t − 1 (the objective is the spec's steps' property)
                    R = own(module)
                    weights = expect_array(model.weights_, f"{what}: weights_", shape=(k,), finite=False)
                    probs = expect_array(model.probs_, f"{what}: probs_", shape=(k, X.shape[1]), finite=False)
                    step = R._m_step(X, np.asarray(R._e_step(X, *before)[0], dtype=float), alpha)
                    expect_own(weights, step[0], f"{what}: weights_", atol=1e-12)
                    expect_own(probs, step[1], f"{what}: probs_", atol=1e-12)
                    before = (weights, probs)
                    continue
                # the parameters after t iterations are one EM step from those after t − 1 (a fit that sets
                # constant parameters has a constant objective, which never decreases either)
                weights, probs = before = expect_em_step(student, X, before, model, alpha, what)
                expect(abs(weights.sum() - 1) < 1e-6 and weights.min() >= 0,
                       f"{what}: weights_ should be non-negative and sum to 1, got sum {weights.sum():.10g}")
                expect(probs.min() > 0 and probs.max() < 1,
                       f"{what}: with alpha > 0 every entry of probs_ should lie strictly inside (0, 1), got "
                       f"values in [{probs.min():.6g}, {probs.max():.6g}] (is the smoothing applied?)")
                objective.append(ref.bmm_penalized_log_likelihood(X, weights, probs, alpha))
                drop = objective[-2] - objective[-1]
                expect(drop <= 1e-9 * abs(objective[-2]),
                       f"{what}: the penalised objective ll + alpha·Σ[log p + log(1 − p)] decreased by "
                       f"{drop:.6g} in iteration {t} ({objective[-2]:.10g} → {objective[-1]:.10g}); an EM "
                       f"iteration with the spec's smoothing never decreases it: check the M-step")

    carry.check(compare, uses=steps_used(carry), iterative=True)


@points(6)
def test_dead_component(student, carry, rng):
    """A component with no responsibility (weight 0) gives no NaN: e-step, m-step, fit and predictions"""
    # Graded on the values only: a RuntimeWarning (e.g. from np.log of a zero weight) costs nothing and
    # is mentioned in the feedback as a note. A step that fails its own test is compared here with your
    # own step (error carried forward): only what an empty component does is charged.
    hint = ("A component with no responsibility (N_k = 0, weight 0) must not produce NaN: log 0 = −inf is "
            "fine inside logsumexp, its responsibilities are 0 and the M-step gives it p = 1/2.")
    X = mnist_rows(rng, 300)
    k = 4
    dead = int(rng.integers(k))
    weights = rng.dirichlet(np.ones(k))
    weights[dead] = 0.0
    weights /= weights.sum()
    probs = rng.uniform(0.25, 0.75, size=(k, 784))
    got_e = student.bmm_e_step(X, weights, probs)
    expect(isinstance(got_e, (tuple, list)) and len(got_e) == 2, "bmm_e_step should return (resp, log_likelihood)")

    # the M-step with N_dead = 0, with alpha = 1 and with alpha = 0 (other responsibilities: a step that
    # ignores alpha still answers differently, so it can carry forward)
    answers = []
    for alpha in (1.0, 0.0):
        resp = rng.dirichlet(np.ones(k), size=300)
        resp[:, dead] = 0.0
        resp /= resp.sum(1, keepdims=True)
        got = student.bmm_m_step(X, resp, alpha=alpha)
        expect(isinstance(got, (tuple, list)) and len(got) == 2, "bmm_m_step should return (weights, probs)")
        answers.append((alpha, resp, got))

    # a fit in which one component starts with weight 0 and another dies in its first E-step
    # (p = 0.99 everywhere: an all-ink image; its responsibilities underflow to exactly 0)
    k_fit = 5
    w0 = np.full(k_fit, 1.0 / (k_fit - 1))
    w0[dead] = 0.0
    p0 = rng.uniform(0.25, 0.75, size=(k_fit, 784))
    p0[(dead + 1) % k_fit] = 0.99
    empties = [dead, (dead + 1) % k_fit]
    kwargs = dict(tol=0.0, max_iter=6, weights_init=w0, probs_init=p0)
    model = fitted(student, k_fit, X, **kwargs)
    X_new = mnist_rows(rng, 50)

    def compare(module):
        # your own steps where they fail their own tests (error carried forward): only what an empty
        # component does is charged here; a NaN in the empty component of a step is charged either way
        R = ref if module is None else own(module)
        resp, ll = R.bmm_e_step(X, weights, probs)
        what = f"bmm_e_step with weights[{dead}] = 0"
        got_resp = no_inf(no_nan(got_e[0], f"{what}: resp", hint, [dead], axis=1), resp, f"{what}: resp")
        expect_own(got_resp, resp, f"{what}: resp", atol=1e-12)
        expect_own(no_inf(no_nan(got_e[1], f"{what}: log_likelihood", hint), ll, f"{what}: log_likelihood"), ll,
                   f"{what}: log_likelihood")

        for alpha, resp, got in answers:
            weights_m, probs_m = R.bmm_m_step(X, resp, alpha=alpha)
            what = f"bmm_m_step with resp[:, {dead}] = 0 (N_{dead} = 0), alpha={alpha:g}"
            expect_own(no_nan(got[0], f"{what}: weights", hint, [dead]), weights_m, f"{what}: weights")
            got_probs = no_inf(no_nan(got[1], f"{what}: probs", hint, [dead]), probs_m, f"{what}: probs")
            empty = np.zeros(probs_m.shape, dtype=bool)
            empty[dead] = True
            expect_own(got_probs, probs_m, f"{what}: probs (row {dead} is 1/2)", mistakes=[] if module else [
                Mistake(np.where(empty, 0.0, probs_m),
                        f"the empty component (N_k = 0) got p = 0 with alpha = {alpha:g}: every log p of it is "
                        "−inf (its log-probabilities −inf, and 0·log 0 = NaN where a pixel is 0); with "
                        "N_k + 2·alpha = 0 there is no data and no prior count: give it p = 1/2")])

        if module is None:  # the reference's fit and its predictions, as plain data
            expected = reference_fits(X, ((k_fit, kwargs),), X_new)[0]
            on_new = lambda name: getattr(expected, name)  # noqa: E731
        else:
            expected = fitted(R, k_fit, X, **kwargs)
            on_new = lambda name: getattr(expected, name)(X_new)  # noqa: E731
        what = f"BernoulliMixture({k_fit}, tol=0, max_iter=6) starting with weights_init[{dead}] = 0"
        values = [("log_likelihood_history_", model.log_likelihood_history_, expected.log_likelihood_history_,
                   {}, None),
                  ("weights_", model.weights_, expected.weights_, {"atol": 1e-12}, 0),
                  ("probs_", model.probs_, expected.probs_, {"atol": 1e-9}, 0),
                  ("predict_proba(X)", model.predict_proba(X_new), on_new("predict_proba"), {"atol": 1e-9}, 1),
                  ("score_samples(X)", model.score_samples(X_new), on_new("score_samples"), {}, None)]
        for name, value, want, tolerance, axis in values:
            if module is None:  # on your own steps, a NaN they give is theirs (compared below)
                value = no_inf(no_nan(value, f"{what}: {name}", hint, None if axis is None else empties, axis or 0),
                               want, f"{what}: {name}")
            expect_own(value, want, f"{what}: {name}", **tolerance)

    uses = steps_used(carry, model=True)
    carry.check(compare, uses=uses, iterative=True)


@points(4, depends={"test_em_trajectory": "the model is fitted by your fit"})
def test_mixture_predictions(student, carry, rng, artifacts):
    """BernoulliMixture: predict_proba, predict, score_samples and score of the fitted parameters (one EM iteration from a given start)"""
    X = mnist_rows(rng, 500)
    k = 6
    start = (np.full(k, 1.0 / k), rng.uniform(0.25, 0.75, size=(k, 784)))
    model = fitted(student, k, X, tol=0.0, max_iter=1, weights_init=start[0], probs_init=start[1])
    # graded on the model's own parameters once they are a fit: one EM iteration from the start
    weights, probs = expect_em_step(student, X, start, model, 1.0, "BernoulliMixture(6, tol=0, max_iter=1, "
                                    "weights_init, probs_init).fit(X) on 500 MNIST images")
    artifacts["bmm_fit"] = {"weights": weights, "probs": probs, "samples": lambda: model.sample(8)[0]}  # pictures
    X_new = mnist_rows(rng, 200)
    what = "a BernoulliMixture(6) fitted (one iteration) on 500 MNIST images, on 200 others:"

    def compare(module):
        if module is not None:  # the reference's methods on your steps, with your fitted parameters
            R = own(module)
            with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
                weighted = np.asarray(R._estimate_weighted_log_prob(X_new, weights, probs), dtype=float)
                log_px = logsumexp(weighted, axis=1)
                resp = np.asarray(R._e_step(X_new, weights, probs)[0], dtype=float)
            expect_own(model.predict_proba(X_new), resp, f"{what} predict_proba(X)", atol=1e-12)
            expect_equal(model.predict(X_new), weighted.argmax(1), f"{what} predict(X)")
            expect_own(model.score_samples(X_new), log_px, f"{what} score_samples(X)")
            expect_own(model.score(X_new), log_px.mean(), f"{what} score(X)")
            return
        expect(weights.min() >= 0 and probs.min() > 0 and probs.max() < 1,
               "weights_ and probs_ after fit should be valid (weights >= 0, probs inside (0, 1))")
        # expected values from the student's own fitted parameters
        with np.errstate(divide="ignore"):
            weighted = log_prob_of(X_new, probs) + np.log(weights)
        log_px = logsumexp(weighted, axis=1)
        resp = np.exp(weighted - log_px[:, None])
        expect_close(model.predict_proba(X_new), resp, f"{what} predict_proba(X)", atol=1e-12)
        expect_equal(model.predict(X_new), weighted.argmax(1), f"{what} predict(X)")
        expect_close(model.score_samples(X_new), log_px, f"{what} score_samples(X)", mistakes=[
            Mistake(logsumexp(log_prob_of(X_new, probs), axis=1), "the weights were left out of log p(x)"),
        ])
        expect_close(model.score(X_new), log_px.mean(), f"{what} score(X)", mistakes=[
            Mistake(log_px.sum(), "score returned the total; it is the mean of score_samples")])

    carry.check(compare, uses=steps_used(carry))


@points(3, depends={"test_em_trajectory": "the model is fitted by your fit"})
def test_mixture_sample(student, rng):
    """BernoulliMixture.sample: (X, z) with z ~ weights_ and pixels ~ Bernoulli(probs_[z]) of a fitted model"""
    # Exact binomial tests of every component's count and every (component, pixel) mean;
    # each at two-sided level 1e-8, Bonferroni over the 3 + 3·12 checks: a correct sampler
    # fails with probability < 4e-7.
    k, d, n = 3, 12, 6000
    true_probs = np.where(rng.random((k, d)) < 0.5, 0.15, 0.85)
    true_weights = np.array([0.6, 0.3, 0.1])
    z_true = rng.choice(k, size=1500, p=true_weights)
    X = (rng.random((1500, d)) < true_probs[z_true]).astype(float)
    init = dict(weights_init=true_weights, probs_init=np.clip(true_probs + rng.normal(0, 0.05, (k, d)), 0.05, 0.95))
    model = fitted(student, k, X, tol=0.0, max_iter=1, random_state=int(rng.integers(2**31)), **init)
    # sampled from the model's own parameters once they are a fit: one EM iteration from the start
    weights, probs = expect_em_step(student, X, (init["weights_init"], init["probs_init"]), model, 1.0,
                                    f"BernoulliMixture({k}, tol=0, max_iter=1, weights_init, probs_init).fit(X)")
    got = model.sample(n)
    expect(isinstance(got, (tuple, list)) and len(got) == 2, "sample(n_samples) should return (X, z)")
    Xs = expect_array(got[0], f"sample({n})[0] (the images)", shape=(n, d))
    z = expect_array(got[1], f"sample({n})[1] (the components)", shape=(n,), kind="iu")
    expect(np.all((Xs == 0) | (Xs == 1)), f"sample({n})[0]: every pixel should be 0 or 1")
    expect(z.min() >= 0 and z.max() < k, f"sample({n})[1]: components should lie in 0..{k - 1}")
    level = 1e-8

    def binomial_p(count, trials, p):
        return 2 * min(stats.binom.cdf(count, trials, p), stats.binom.sf(count - 1, trials, p), 0.5)

    counts = np.bincount(z, minlength=k)
    for j in range(k):
        if binomial_p(counts[j], n, weights[j]) < level:
            fail(f"sample({n}): component {j} was drawn {counts[j]} times; with weights_[{j}] = "
                 f"{weights[j]:.4f} about {n * weights[j]:.0f} are expected (z must be drawn with "
                 f"probabilities weights_)")
    for j in range(k):
        ones = Xs[z == j].sum(0)
        for p_idx in range(d):
            if binomial_p(int(ones[p_idx]), int(counts[j]), probs[j, p_idx]) < level:
                hint = ""
                if abs(ones[p_idx] / max(counts[j], 1) - (1 - probs[j, p_idx])) < 0.05:
                    hint = "\nLikely mistake: pixels are 1 with probability 1 − p; draw 1 where u < p"
                fail(f"sample({n}): pixel {p_idx} of the images with z = {j} is 1 in {int(ones[p_idx])} "
                     f"of {counts[j]}; probs_[{j}, {p_idx}] = {probs[j, p_idx]:.4f} (each image of "
                     f"component z is drawn from Bernoulli(probs_[z])){hint}")


@points(2, depends=STEPS)
def test_random_start_history(student, carry, rng):
    """BernoulliMixture from its own random start (alpha=0): the log-likelihood history never decreases, from its first entry"""
    # With alpha = 0 every EM iteration is an exact EM step for the likelihood, which never decreases;
    # entry 1 is the log-likelihood of the start itself (weights and probs from bmm_m_step on random
    # responsibilities, so weights summing to 1). No pixel of these data is constant (each is 1 with
    # probability in [0.2, 0.8] in every row, 300 rows), so no p is 0 or 1 at the start.
    X = random_binary(rng, 300, 40, 3, 0.2, 0.8)
    seed = int(rng.integers(2**31))
    what = f"BernoulliMixture(3, alpha=0, tol=0, max_iter=15, random_state={seed}) on 300 random binary rows"
    model = fitted(student, 3, X, alpha=0.0, tol=0.0, max_iter=15, random_state=seed)
    # Exactly: with probs_init given as K copies of the data's mean pixel probabilities p̄, the
    # start's mixture is Σ_k w_k p(x | p̄) = (Σ_k w_k) p(x | p̄), so history entry 1 is
    # Σ_n log p(x_n | p̄) when the start's weights (bmm_m_step of responsibilities whose rows
    # sum to 1) sum to 1, whatever responsibilities were drawn.
    n, k = X.shape[0], 3
    p_bar = X.mean(axis=0)
    start = f"BernoulliMixture({k}, alpha=0, max_iter=1, random_state={seed}, probs_init={k} copies of X.mean(0))"
    model_1 = fitted(student, k, X, alpha=0.0, tol=0.0, max_iter=1, random_state=seed,
                     probs_init=np.tile(p_bar, (k, 1)))

    def compare(module):
        if module is not None:
            # your own steps: the reference's fit on them, from the same random start (its random draws
            # are the spec's); the likelihood never decreases only with the spec's steps
            R = own(module)
            expected = fitted(R, 3, X, alpha=0.0, tol=0.0, max_iter=15, random_state=seed)
            expect_own(model.log_likelihood_history_, expected.log_likelihood_history_,
                       f"{what}: log_likelihood_history_")
            expected = fitted(R, k, X, alpha=0.0, tol=0.0, max_iter=1, random_state=seed,
                              probs_init=np.tile(p_bar, (k, 1)))
            expect_own(model_1.log_likelihood_history_, expected.log_likelihood_history_,
                       f"{start}: log_likelihood_history_", rtol=1e-9)
            return
        history = expect_array(model.log_likelihood_history_, f"{what}: log_likelihood_history_", shape=(15,))
        weights = expect_array(model.weights_, f"{what}: weights_", shape=(3,))
        expect(abs(weights.sum() - 1) < 1e-9, f"{what}: weights_ should sum to 1, got {weights.sum():.12g}")
        for t in range(1, len(history)):
            drop = history[t - 1] - history[t]
            expect(drop <= 1e-9 * abs(history[t - 1]),
                   f"{what}: the log-likelihood decreased from iteration {t} to {t + 1} ({history[t - 1]:.10g} → "
                   f"{history[t]:.10g}); with alpha = 0 EM never decreases it"
                   + (": at iteration 1 the parameters are the start's — are they bmm_m_step of random "
                      "responsibilities whose rows each sum to 1 (so that the weights sum to 1)?" if t == 1 else ""))
        first = expect_array(model_1.log_likelihood_history_, f"{start}: log_likelihood_history_", shape=(1,))[0]
        expected = float(ref.bernoulli_log_prob(X, p_bar[np.newaxis, :]).sum())
        expect_close(first, expected, f"{start}: log_likelihood_history_[0], the log-likelihood of the start",
                     rtol=1e-9, mistakes=[Mistake(expected + n * np.log(k / n),
                                                  "the start's random responsibilities were normalised per "
                                                  "column (axis=0), not per row: each row must sum to 1")])

    carry.check(compare, uses=steps_used(carry), iterative=True)


@points(1, depends={"test_em_trajectory": "the model is fitted by your fit"})
def test_sample_successive_calls_differ(student, rng):
    """BernoulliMixture.sample: two successive calls on one fitted model (one EM iteration) give different draws"""
    X = mnist_rows(rng, 300)
    k = 3
    seed = int(rng.integers(2**31))
    start = (np.full(k, 1.0 / k), rng.uniform(0.25, 0.75, size=(k, 784)))
    model = fitted(student, k, X, tol=0.0, max_iter=1, random_state=seed, weights_init=start[0], probs_init=start[1])
    expect_em_step(student, X, start, model, 1.0, f"BernoulliMixture({k}, tol=0, max_iter=1, random_state={seed}, "
                                                  "weights_init, probs_init).fit(X) on 300 MNIST images")
    draws = []
    for call in ("first", "second"):
        got = model.sample(50)
        expect(isinstance(got, (tuple, list)) and len(got) == 2, "sample(n_samples) should return (X, z)")
        draws.append(expect_array(got[0], f"sample(50)[0], {call} call", shape=(50, 784)))
    # 50 images of 784 pixels, most with p far from 0 and 1: two correct calls coincide with probability < 1e-100
    expect(not np.array_equal(draws[0], draws[1]),
           f"BernoulliMixture({k}, random_state={seed}): two successive sample(50) calls returned the same images; "
           "the second call must continue the model's generator (made once, in fit), not re-seed it")
