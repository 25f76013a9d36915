"""gmm, part 5: using a fitted model — predict, predict_proba, score_samples, score, sample (14 points)."""
import numpy as np
from scipy import stats
from scipy.special import logsumexp
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

from autograder.harness import Mistake, expect, expect_array, expect_close, expect_equal, fail, points
from datasets import load_old_faithful, random_gmm, sample_gmm

FAITHFUL_STD = load_old_faithful(standardize=True)
SHAPES = {"full": lambda k, d: (k, d, d), "diag": lambda k, d: (k, d), "spherical": lambda k, d: (k,)}


def built(student, X, covariance_type, start, **kwargs):
    """The student's model built from the given parameters ``start``: ``fit`` with ``max_iter=0`` runs no EM
    iteration (the spec's loop is t = 1..max_iter), so the model holds ``weights_init``, ``means_init`` and
    ``covariances_init`` — parameters the grader chose, not ones the submission could pick for itself —
    and each method is graded on exactly those. Checks that it holds them; returns the model."""
    weights, means, covs = start
    k, d = np.shape(means)
    model = student.GaussianMixtureEM(k, covariance_type=covariance_type, weights_init=weights, means_init=means,
                                      covariances_init=covs, max_iter=0, **kwargs)
    model.fit(X)
    expect_given(model, start, covariance_type, f"GaussianMixtureEM({k}, covariance_type={covariance_type!r}, "
                 "weights_init, means_init, covariances_init, max_iter=0).fit(X)")
    return model


def expect_given(model, start, covariance_type, what):
    """The model's weights_, means_, covariances_ are the given ones (a fit with max_iter=0 changes nothing)."""
    k, d = np.shape(start[1])
    for name, got, given in zip(("weights_", "means_", "covariances_"), parameters(model, k, d, covariance_type, what),
                                start):
        expect_close(got, given, f"{what}: {name} (with max_iter=0 fit runs no EM iteration, so it must hold the "
                                 f"given {name[:-1]}_init)", rtol=1e-9, atol=0)


def parameters(model, k, d, covariance_type, what):
    """The model's fitted parameters as arrays of the right shapes."""
    weights = expect_array(model.weights_, f"{what}: weights_", shape=(k,))
    means = expect_array(model.means_, f"{what}: means_", shape=(k, d))
    covs = expect_array(model.covariances_, f"{what}: covariances_", shape=SHAPES[covariance_type](k, d))
    return weights, means, covs


def sklearn_with(weights, means, covs, covariance_type, what):
    """A scikit-learn GaussianMixture holding the given parameters (those the student's model was built
    from), so that predict & co. are checked against scikit-learn on exactly those parameters."""
    gm = GaussianMixture(len(weights), covariance_type=covariance_type)
    gm.weights_, gm.means_, gm.covariances_ = weights, means, covs
    try:
        gm.precisions_cholesky_ = _compute_precision_cholesky(covs, covariance_type)
    except ValueError:
        fail(f"{what}: the fitted covariances_ are not positive definite")
    gm.n_features_in_ = means.shape[1]
    gm.converged_, gm.n_iter_, gm.lower_bound_ = True, 1, 0.0
    return gm


def models(student, rng):
    """[(what, model, covariance_type, X_fit, X_new, start)]: a 3-D full mixture and Old Faithful (diag), each model
    built from the given parameters ``start`` (``max_iter=0``), so its methods are graded on parameters the grader
    chose and never on whatever a ``fit`` set."""
    w, m, c = random_gmm(3, 3, separation=2.5, rng=rng)
    X, _ = sample_gmm(400, w, m, c, rng=rng)
    X_new, _ = sample_gmm(150, w, m, c, rng=rng)
    X_new[:5] += 200.0  # far from every component (densities underflow to 0): log space keeps everything finite
    out = [("GaussianMixtureEM(3, max_iter=0) built from a 3-D mixture's parameters, on 400 of its samples",
            built(student, X, "full", (w, m, c)), "full", X, X_new, (w, m, c))]
    rows = rng.choice(len(FAITHFUL_STD), size=2, replace=False)
    start = (rng.dirichlet([5.0, 5.0]), FAITHFUL_STD[rows], rng.uniform(0.3, 1.0, size=(2, 2)))
    faithful_new = FAITHFUL_STD[rng.choice(len(FAITHFUL_STD), size=60)] + rng.normal(scale=0.3, size=(60, 2))
    out.append(("GaussianMixtureEM(2, covariance_type='diag', max_iter=0) built from given parameters, on Old "
                "Faithful (standardised)", built(student, FAITHFUL_STD, "diag", start), "diag", FAITHFUL_STD,
                faithful_new, start))
    return out


EPSILONS = (1e-6, 1e-8, 1e-10, 1e-12, 1e-15, 1e-16, 1e-20, 1e-30, 1e-50, 1e-100, 1e-300,
            float(np.finfo(float).eps), float(np.finfo(float).tiny))
EPS_SCORE = ("an ε was added to the density before its log (log(Σ + ε)): far from the components the density "
             "underflows and the log-density becomes the floor log ε; use log-sum-exp of the log-densities")
BUILT = "the model is built by your fit from weights_init, means_init and covariances_init (max_iter=0)"
FIT_DEPENDS = {"test_fit_matches_sklearn_full": BUILT, "test_fit_matches_sklearn_diag": BUILT}


def uses(covariance_type):
    """What a built model's methods compose, each with its own tests (error carried forward from them)."""
    return {"log_gaussian_prob": (f"test_log_gaussian_prob_{covariance_type}", "test_log_gaussian_prob_full"),
            "e_step": (f"test_e_step_{covariance_type}", "test_e_step_full")}


def own_model(module, X, covariance_type, start):
    """The reference's model built from ``start`` on the student's own failed functions."""
    weights, means, covs = start
    return module.GaussianMixtureEM(len(weights), covariance_type=covariance_type, weights_init=weights,
                                    means_init=means, covariances_init=covs, max_iter=0).fit(X)


@points(4, depends=FIT_DEPENDS)
def test_predict_proba_and_predict(student, carry, rng):
    """predict_proba and predict: scikit-learn's, for a model built from given parameters (max_iter=0)"""
    for what, model, covariance_type, X_fit, X_new, start in models(student, rng):
        proba, labels = model.predict_proba(X_new), model.predict(X_new)

        def own(module, X_fit=X_fit, X_new=X_new, covariance_type=covariance_type, start=start, what=what,
                proba=proba, labels=labels):
            expected = own_model(module, X_fit, covariance_type, start)
            expect_close(proba, expected.predict_proba(X_new), f"{what}: predict_proba(X_new)", atol=1e-10)
            expect_equal(expect_array(labels, f"{what}: predict(X_new)", shape=(len(X_new),), kind="iu"),
                         expected.predict(X_new), f"{what}: predict(X_new)")

        carry.check(lambda module, args=(model, covariance_type, X_new, start, what, proba, labels): (
            check_predict(*args) if module is None else own(module)), uses=uses(covariance_type))


def check_predict(model, covariance_type, X_new, start, what, proba, labels):
    gm = sklearn_with(*start, covariance_type, what)
    weighted = gm._estimate_weighted_log_prob(X_new)
    plain = weighted - np.log(gm.weights_)
    expected = gm.predict_proba(X_new)
    got = expect_array(proba, f"{what}: predict_proba(X_new)", shape=expected.shape)
    expect_close(got, expected, f"{what}: predict_proba(X_new)", atol=1e-10, mistakes=[
        Mistake(np.exp(weighted - logsumexp(weighted, axis=0)),
                "the probabilities were normalised over the samples (columns); each row must sum to 1"),
        Mistake(np.exp(plain - logsumexp(plain, axis=1)[:, None]), "the weights πₖ are missing"),
    ])
    labels = expect_array(labels, f"{what}: predict(X_new)", shape=(len(X_new),), kind="iu")
    expect_equal(labels, gm.predict(X_new), f"{what}: predict(X_new)", mistakes=[
        Mistake(np.argmin(weighted, axis=1), "predict returned the least probable component (arg-min); "
                                             "it is the arg-max of the responsibilities"),
        Mistake(np.argmax(plain, axis=1), "predict ignored the weights: take the arg-max of "
                                          "log πₖ + log N(x; μₖ, Σₖ)"),
    ])


@points(3, depends=FIT_DEPENDS)
def test_score_samples_and_score(student, carry, rng):
    """score_samples = log p(x) and score = its mean: scikit-learn's, for a model built from given parameters"""
    for what, model, covariance_type, X_fit, X_new, start in models(student, rng):
        got = (model.score_samples(X_new), model.score(X_new), model.score(X_fit))

        def own(module, X_fit=X_fit, X_new=X_new, covariance_type=covariance_type, start=start, what=what, got=got):
            expected = own_model(module, X_fit, covariance_type, start)
            expect_close(got[0], expected.score_samples(X_new), f"{what}: score_samples(X_new)")
            expect_close(got[1], expected.score(X_new), f"{what}: score(X_new)")
            expect_close(got[2], expected.score(X_fit), f"{what}: score(the training data)")

        carry.check(lambda module, args=(got, covariance_type, X_fit, X_new, start, what): (
            check_score(*args) if module is None else own(module)), uses=uses(covariance_type))


def check_score(got, covariance_type, X_fit, X_new, start, what):
    gm = sklearn_with(*start, covariance_type, what)
    weighted = gm._estimate_weighted_log_prob(X_new)
    expected = gm.score_samples(X_new)
    with np.errstate(divide="ignore", under="ignore"):
        density = np.exp(weighted).sum(axis=1)
        linear = np.log(density)
    eps_floor = [Mistake(np.log(density + eps), EPS_SCORE) for eps in EPSILONS]
    expect_close(got[0], expected, f"{what}: score_samples(X_new)", mistakes=[
        Mistake(logsumexp(weighted - np.log(gm.weights_), axis=1), "the weights πₖ are missing"),
        Mistake(np.exp(expected), "returned the density p(x); score_samples is its logarithm"),
        Mistake(weighted.max(axis=1), "took maxₖ instead of log Σₖ (log-sum-exp)"),
        Mistake(linear, "the density was computed in linear space and then logged: Σₖ πₖ N(x; μₖ, Σₖ) "
                        "underflows to 0 far from the components (log 0 = −inf); use log-sum-exp of "
                        "log πₖ + log N(x; μₖ, Σₖ)"),
    ] + eps_floor)
    for name, data, score in [("X_new", X_new, got[1]), ("the training data", X_fit, got[2])]:
        expected = gm.score(data)
        expect_close(score, expected, f"{what}: score({name})", mistakes=[
            Mistake(expected * len(data), "score returned the sum; it is the mean of score_samples"),
        ])


@points(2)
def test_sample_shapes_and_reproducible(student, rng):
    """sample: (X, z) of shapes (n_samples, d), (n_samples,), drawn from the model; two models built alike with the same int random_state sample alike"""
    _, m, c = random_gmm(2, 2, separation=4.0, rng=rng)
    w = np.full(2, 0.5)
    X, _ = sample_gmm(200, w, m, c, rng=rng)
    seed = int(rng.integers(2**31))
    a = built(student, X, "full", (w, m, c), random_state=seed)
    b = built(student, X, "full", (w, m, c), random_state=seed)
    what = f"two GaussianMixtureEM(2, max_iter=0, random_state={seed}) built from the same parameters"
    for n_samples in (None, 5, 40):
        call = "sample()" if n_samples is None else f"sample({n_samples})"
        got_a = a.sample() if n_samples is None else a.sample(n_samples)
        got_b = b.sample() if n_samples is None else b.sample(n_samples)
        for got in (got_a, got_b):
            expect(isinstance(got, (tuple, list)) and len(got) == 2,
                   f"{call} should return (X, z), got {type(got).__name__}")
        size = n_samples or 1
        xa = expect_array(got_a[0], f"{what}: {call}[0]", shape=(size, 2))
        za = expect_array(got_a[1], f"{what}: {call}[1]", shape=(size,), kind="iu")
        expect_close(got_b[0], xa, f"{what}: {call}[0] of the second model should equal the first's (the "
                                   "same int random_state gives the same samples)", rtol=1e-12)
        expect_equal(got_b[1], za, f"{what}: {call}[1] of the second model should equal the first's")
    # reproducible is not enough: the 40 samples are draws of this model (weights 1/2, 1/2)
    check_drawn(xa, za, (w, m, c), "full", f"{what}: sample(40)")
    # a model of 1-D data samples arrays of shape (n, 1)
    model = built(student, X[:, 0], "full", (w, m[:, :1], c[:, :1, :1]), random_state=seed)
    got = model.sample(10)
    expect(isinstance(got, (tuple, list)) and len(got) == 2, f"sample should return (X, z), got {type(got).__name__}")
    expect_array(got[0], "GaussianMixtureEM(2, max_iter=0) built on a 1-D array: sample(10)[0]", shape=(10, 1))
    expect_array(got[1], "GaussianMixtureEM(2, max_iter=0) built on a 1-D array: sample(10)[1]", shape=(10,),
                 kind="iu")


# Statistical checks of sample(), always against the parameters the model was built from (max_iter=0):
# per model, for each of the K = 3 components, the count of its
# samples (exact binomial quantiles), the mean of its samples (n_k·(x̄−μ)ᵀΣ⁻¹(x̄−μ) ~ χ²(d) exactly)
# and their spread (Σ‖L⁻¹(x−μ)‖² ~ χ²(n_k·d) exactly, two-sided): 9 checks per model, 3 models,
# 27 checks (9 per test), and the same 3 checks per component of the K = 2 models of
# test_sample_shapes_and_reproducible and test_sample_successive_calls_differ (6 each): 39 checks,
# each failing a correct sampler with probability ≤ ALPHA = 1e-8; by the union
# bound a correct submission fails one of these tests with probability ≤ 3.9e-7 < 1e-6. The named mistakes fail with
# certainty: with 3000 samples and weights near (0.6, 0.3, 0.1), equal weights put ~1000 samples
# in the component expected to get ~300 (binomial sd ≈ 16), 40 standard deviations off; with
# variances in [4, 16], noise scaled by Σ (or σ²) instead of L (or σ) makes the mean squared
# whitened distance ≥ 4 where a correct sampler stays within 1 ± 0.3 (n_k·d ≥ 600 degrees of freedom).
ALPHA = 1e-8
N_SAMPLES = 3000
WEIGHTS = np.array([0.6, 0.3, 0.1])


def check_samples(model, start, covariance_type, d, what, counts_charged=False, spread_charged=False):
    got = model.sample(N_SAMPLES)
    expect(isinstance(got, (tuple, list)) and len(got) == 2, f"sample should return (X, z), got {type(got).__name__}")
    call = f"{what}: sample({N_SAMPLES})"
    Xs = expect_array(got[0], f"{call}[0]", shape=(N_SAMPLES, d))
    z = expect_array(got[1], f"{call}[1] (the components)", shape=(N_SAMPLES,), kind="iu")
    check_drawn(Xs, z, start, covariance_type, call, counts_charged, spread_charged)


def check_drawn(Xs, z, start, covariance_type, call, counts_charged=False, spread_charged=False):
    """``(Xs, z)`` are draws of the mixture ``start`` = (weights, means, covariances): 3 checks per component.

    ``counts_charged``: the component frequencies failed the full case's test (the same code draws
    them for every covariance type), so they are not charged again here; ``spread_charged`` likewise
    for the spread (spherical samples are scaled as diag ones)."""
    weights, means, covs = (np.asarray(v, dtype=float) for v in start)
    k, d = means.shape
    n = len(Xs)
    expect(z.min() >= 0 and z.max() < k, f"{call}[1]: components must lie in 0..{k - 1}")
    counts = np.bincount(z, minlength=k)
    p = weights / weights.sum()
    lo, hi = stats.binom.ppf(ALPHA / 2, n, p), stats.binom.isf(ALPHA / 2, n, p)
    if np.any((counts < lo) | (counts > hi)) and not counts_charged:
        j = int(np.argmax((counts < lo) | (counts > hi)))
        message = (f"{call}: {counts[j]} samples came from component {j}, expected about "
                   f"{n * p[j]:.0f} (weights_[{j}] = {p[j]:.4f}; a correct sampler gives a count in "
                   f"[{lo[j]:.0f}, {hi[j]:.0f}] with probability 1 − 1e-8)")
        u_lo, u_hi = stats.binom.ppf(ALPHA / 2, n, 1 / k), stats.binom.isf(ALPHA / 2, n, 1 / k)
        if np.all((counts >= u_lo) & (counts <= u_hi)):
            message += ("\nLikely mistake: the components were drawn with equal probability; draw the counts "
                        "from a multinomial(n_samples, weights_) (or each sample's component with "
                        "probabilities weights_)")
        fail(message)
    matrices = covs if covariance_type == "full" else (
        np.stack([np.diag(v) for v in covs]) if covariance_type == "diag" else covs[:, None, None] * np.eye(d))
    for j in range(k):
        Y = Xs[z == j]
        if len(Y) == 0:
            continue
        L = np.linalg.cholesky(matrices[j])
        white = np.linalg.solve(L, (Y - means[j]).T)  # L⁻¹(x − μ): i.i.d. N(0, I) for a correct sampler
        # the spread first, around the samples' own mean (so a wrong mean cannot mask it and a wrong
        # spread cannot pass for a wrong mean): Σ‖L⁻¹(x − x̄)‖² ~ χ²((n_k − 1)·d)
        centred = white - white.mean(axis=1, keepdims=True)
        spread = float(np.sum(centred ** 2))
        dof = (len(Y) - 1) * d
        if dof > 0 and not spread_charged:
            s_lo, s_hi = stats.chi2.ppf(ALPHA / 2, dof), stats.chi2.isf(ALPHA / 2, dof)
            # noise scaled by Σ instead of L: L⁻¹Σz = Lᵀz, whose mean square per coordinate is tr(Σ)/d
            by_sigma = float(np.trace(matrices[j])) / d
            hint = ("\nLikely mistake: the noise was scaled by the variances Σ; scale the standard normal noise by "
                    "the Cholesky factor L of Σ (by the standard deviation √σ² for diag / spherical)"
                    if abs(spread / dof - by_sigma) <= 0.15 * by_sigma else "")
            expect(s_lo <= spread <= s_hi,
                   f"{call}: the samples of component {j} do not have covariance covariances_[{j}]: their "
                   f"mean squared whitened deviation ‖L⁻¹(x − x̄)‖²/d is {spread / dof:.3f}, expected 1 (a "
                   f"correct sampler stays in [{s_lo / dof:.3f}, {s_hi / dof:.3f}] with probability 1 − 1e-8)"
                   + hint)
        t_mean = float(np.sum(white.mean(axis=1) ** 2) * len(Y))
        limit = stats.chi2.isf(ALPHA, d)
        expect(t_mean <= limit,
               f"{call}: the {len(Y)} samples of component {j} have mean {np.round(Y.mean(0), 4).tolist()}, "
               f"too far from means_[{j}] = {np.round(means[j], 4).tolist()} (Mahalanobis statistic "
               f"{t_mean:.1f}, a correct sampler stays below {limit:.1f} with probability 1 − 1e-8); are the "
               "samples of component k drawn around means_[k], and z[i] the component of X[i]?")


def check_sample_statistics(student, rng, covariance_type, d, carry=None):
    # variances in [4, 16]: noise scaled by Σ instead of its square root is off by a factor ≥ 4
    _, m, c = random_gmm(3, d, covariance_type=covariance_type, separation=4.0, variance_range=(4.0, 16.0),
                         rng=rng)
    X, _ = sample_gmm(600, WEIGHTS, m, c, covariance_type=covariance_type, rng=rng)
    # a seed drawn from the test's generator: the samples, and so the grade, are the same on a regrade
    # with the run's seed (without one, a sampler that is wrong by a little passed or failed by chance)
    seed = int(rng.integers(2**31))
    model = built(student, X, covariance_type, (WEIGHTS, m, c), random_state=seed)
    charged = carry is not None and carry.failed("test_sample_statistics_full")
    if charged:
        carry.note("component frequencies", "test_sample_statistics_full")
    spread = covariance_type == "spherical" and carry is not None and carry.failed("test_sample_statistics_diag")
    if spread:
        carry.note("noise scaling", "test_sample_statistics_diag")
    check_samples(model, (WEIGHTS, m, c), covariance_type, d,
                  f"GaussianMixtureEM(3, covariance_type={covariance_type!r}, max_iter=0, random_state={seed}) "
                  f"built from given parameters on 600 samples in {d}-D", counts_charged=charged, spread_charged=spread)


@points(2)
def test_sample_statistics_full(student, rng):
    """sample, full covariances: component frequencies follow weights_, samples of component k have mean means_[k] and covariance covariances_[k]"""
    check_sample_statistics(student, rng, "full", 2)


@points(1, depends={"test_sample_statistics_full": "the components are drawn as in the full case"})
def test_sample_statistics_diag(student, carry, rng):
    """sample, diag covariances: component frequencies, means and variances of the samples"""
    check_sample_statistics(student, rng, "diag", 3, carry)


@points(1, depends={"test_sample_statistics_full": "the components are drawn as in the full case",
                    "test_sample_statistics_diag": "the noise is scaled as in the diag case"})
def test_sample_statistics_spherical(student, carry, rng):
    """sample, spherical covariances: component frequencies, means and variances of the samples"""
    check_sample_statistics(student, rng, "spherical", 2, carry)


@points(1)
def test_sample_successive_calls_differ(student, rng):
    """sample: two successive calls on one model give different draws of it (the generator moves on)"""
    _, m, c = random_gmm(2, 2, separation=4.0, rng=rng)
    w = np.full(2, 0.5)
    X, _ = sample_gmm(200, w, m, c, rng=rng)
    seed = int(rng.integers(2**31))
    model = built(student, X, "full", (w, m, c), random_state=seed)
    first = model.sample(40)
    second = model.sample(40)
    for got in (first, second):
        expect(isinstance(got, (tuple, list)) and len(got) == 2, f"sample should return (X, z), got {type(got).__name__}")
    a = expect_array(first[0], "sample(40)[0], first call", shape=(40, 2))
    b = expect_array(second[0], "sample(40)[0], second call", shape=(40, 2))
    # continuous draws: two correct calls coincide with probability 0
    expect(not np.array_equal(a, b), f"GaussianMixtureEM(2, max_iter=0, random_state={seed}): two successive "
           "sample(40) calls returned the same samples; a second call must continue the model's generator (create "
           "it once, in fit), not re-seed it with random_state at every call")
    # and different is not enough: the first call's samples are draws of this model (weights 1/2, 1/2)
    z = expect_array(first[1], "sample(40)[1], first call", shape=(40,), kind="iu")
    check_drawn(a, z, (w, m, c), "full", f"GaussianMixtureEM(2, max_iter=0, random_state={seed}): sample(40)")
