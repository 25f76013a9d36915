"""gmm, part 6: model selection — n_parameters, bic, aic, select_n_components by BIC, AIC and on held-out data (13 points)."""
import numpy as np
from scipy import stats
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

from autograder.harness import (Mistake, expect, expect_array, expect_close, expect_equal, fail, points, reference,
                                same_for_every_student)
from autograder.sandbox import StudentCodeError
from datasets import random_gmm, sample_gmm

ref = reference("gmm")
SHAPES = {"full": lambda k, d: (k, d, d), "diag": lambda k, d: (k, d), "spherical": lambda k, d: (k,)}


def sklearn_n_parameters(k, d, covariance_type):
    gm = GaussianMixture(k, covariance_type=covariance_type)
    gm.means_ = np.zeros((k, d))
    return gm._n_parameters()


def check_n_parameters(student, carry, rng, covariance_type):
    for k, d in [(1, 1), (2, 2), (int(rng.integers(3, 7)), int(rng.integers(3, 9)))]:
        expected = sklearn_n_parameters(k, d, covariance_type)
        cov = {"full": k * d * (d + 1) // 2, "diag": k * d, "spherical": k}[covariance_type]
        mistakes = [
            Mistake(expected - (k - 1), "the K−1 free weights were not counted (they sum to 1, so K−1 are free)"),
            Mistake(expected + 1, "counted K weights; they sum to 1, so only K−1 are free"),
            Mistake(expected - k * d, "the K·d mean entries were not counted"),
        ]
        if covariance_type == "full" and d > 1:
            mistakes.append(Mistake(expected - cov + k * d * d,
                                    "counted d² entries per covariance; a symmetric matrix has d(d+1)/2"))
        got = expect_array(student.n_parameters(k, d, covariance_type),
                           f"n_parameters({k}, {d}, {covariance_type!r})", kind="iu")
        expect(got.size == 1, f"n_parameters({k}, {d}, {covariance_type!r}): expected one integer, "
                              f"got an array of shape {got.shape}")
        full = k * d * (d + 1) // 2
        # when the full count fails its own test (the weights or the means miscounted, charged there), the
        # count here must be your own full count with the covariance entries exchanged
        carry.check(lambda module, got=got, k=k, d=d, expected=expected, cov=cov, full=full, mistakes=mistakes:
                    expect_equal(got.reshape(()), expected, f"n_parameters({k}, {d}, {covariance_type!r})",
                                 mistakes=[m for m in mistakes if m.value != expected]) if module is None else
                    expect_equal(got.reshape(()), int(np.asarray(module.n_parameters(k, d, "full"))) - full + cov,
                                 f"n_parameters({k}, {d}, {covariance_type!r}) (your own full count − K·d(d+1)/2 "
                                 f"+ the {covariance_type} covariance entries)"),
                    uses={} if covariance_type == "full" else {"n_parameters": "test_n_parameters"})


@points(1)
def test_n_parameters(student, carry, rng):
    """n_parameters, full covariances: K−1 weights + K·d means + K·d(d+1)/2 covariance entries, as scikit-learn counts them"""
    check_n_parameters(student, carry, rng, "full")


@points(1, depends={"test_n_parameters": "the same count as the full case"})
def test_n_parameters_diag(student, carry, rng):
    """n_parameters, diag covariances: K−1 weights + K·d means + K·d variances"""
    check_n_parameters(student, carry, rng, "diag")


@points(1, depends={"test_n_parameters": "the same count as the full case"})
def test_n_parameters_spherical(student, carry, rng):
    """n_parameters, spherical covariances: K−1 weights + K·d means + K variances"""
    check_n_parameters(student, carry, rng, "spherical")


def sklearn_with(weights, means, covs, covariance_type):
    """A scikit-learn GaussianMixture holding the given parameters (those the student's model was built from)."""
    k, d = means.shape
    gm = GaussianMixture(k, covariance_type=covariance_type)
    gm.weights_, gm.means_, gm.covariances_ = weights, means, covs
    gm.precisions_cholesky_ = _compute_precision_cholesky(covs, covariance_type)
    gm.n_features_in_ = d
    gm.converged_, gm.n_iter_, gm.lower_bound_ = True, 1, 0.0
    return gm


def expect_given(model, start, covariance_type, what):
    """The model holds the parameters it was built from (a fit with max_iter=0 runs no EM iteration)."""
    k, d = start[1].shape
    shapes = [(k,), (k, d), SHAPES[covariance_type](k, d)]
    for name, got, given, shape in zip(("weights_", "means_", "covariances_"),
                                       (model.weights_, model.means_, model.covariances_), start, shapes):
        got = expect_array(got, f"{what}: {name}", shape=shape)
        expect_close(got, given, f"{what}: {name} (with max_iter=0 fit runs no EM iteration, so it must hold the "
                                 f"given {name[:-1]}_init)", rtol=1e-9, atol=0)


BUILT = "the model is built by your fit from weights_init, means_init and covariances_init (max_iter=0)"


@points(3, depends={"test_n_parameters": "bic and aic use your n_parameters", "test_fit_matches_sklearn_full": BUILT})
def test_bic_aic(student, carry, rng):
    """bic and aic: scikit-learn's for a model built from given parameters (max_iter=0), on the training data and on new data"""
    # The model holds parameters the grader chose (fit with max_iter=0 runs no EM iteration), so bic and aic
    # are graded on those and never on whatever a fit set: a fit that only sets some parameters earns nothing.
    for covariance_type, k, d in [("full", 3, 2), ("diag", 2, 3), ("spherical", 4, 2)]:
        w, m, c = random_gmm(k, d, covariance_type=covariance_type, separation=3.0, rng=rng)
        X, _ = sample_gmm(300, w, m, c, covariance_type=covariance_type, rng=rng)
        X_new, _ = sample_gmm(120, w, m, c, covariance_type=covariance_type, rng=rng)
        model = student.GaussianMixtureEM(k, covariance_type=covariance_type, weights_init=w, means_init=m,
                                          covariances_init=c, max_iter=0)
        model.fit(X)
        what = (f"GaussianMixtureEM({k}, covariance_type={covariance_type!r}, max_iter=0) built from given "
                f"parameters on 300 samples in {d}-D")
        expect_given(model, (w, m, c), covariance_type, what)
        got = {(name, method): getattr(model, method)(data)
               for name, data in [("the training data", X), ("120 new samples", X_new)] for method in ("bic", "aic")}
        got["list"] = model.bic(X.tolist())  # an array-like: a list of rows is X too
        carry.check(lambda module, args=(got, X, X_new, (w, m, c), covariance_type, what): (
            check_bic_aic(*args) if module is None else own_bic_aic(module, *args)),
            uses={"log_gaussian_prob": (f"test_log_gaussian_prob_{covariance_type}", "test_log_gaussian_prob_full"),
                  "n_parameters": ("test_n_parameters" + ("" if covariance_type == "full" else f"_{covariance_type}"),
                                   "test_n_parameters")})


def own_bic_aic(module, got, X, X_new, start, covariance_type, what):
    """bic and aic of the reference's model on the student's own log_gaussian_prob / n_parameters."""
    weights, means, covs = start
    expected = module.GaussianMixtureEM(len(weights), covariance_type=covariance_type, weights_init=weights,
                                        means_init=means, covariances_init=covs, max_iter=0).fit(X)
    for name, data in [("the training data", X), ("120 new samples", X_new)]:
        for method in ("bic", "aic"):
            expect_close(got[name, method], getattr(expected, method)(data), f"{what}: {method}({name})")


def check_bic_aic(got, X, X_new, start, covariance_type, what):
    w, m, c = start
    k = len(w)
    gm = sklearn_with(w, m, c, covariance_type)
    p = gm._n_parameters()
    for name, data in [("the training data", X), ("120 new samples", X_new)]:
        n = len(data)
        log_lik = gm.score(data) * n
        expected = gm.bic(data)
        expect_close(got[name, "bic"], expected, f"{what}: bic({name})", mistakes=[
            Mistake(-expected, "the sign is flipped: BIC = −2·Σᵢ log p(xᵢ) + p·log n, lower is better "
                               "(R's mclust reports the negative)"),
            Mistake(2 * log_lik + p * np.log(n), "the log-likelihood term has the wrong sign: "
                                                 "BIC = −2·Σᵢ log p(xᵢ) + p·log n"),
            Mistake(expected - (k - 1) * np.log(n), "the K−1 free weights were not counted in p"),
            Mistake(-2 * log_lik / n + p * np.log(n), "used the mean log-likelihood; BIC uses the total"),
            Mistake(-2 * log_lik + p * np.log(len(X)), "n must be the number of rows of the X given to bic"),
        ])
        if name == "the training data":
            expect_close(got["list"], gm.bic(data), f"{what}: bic(X.tolist()) (a list of rows)")
        expected = gm.aic(data)
        expect_close(got[name, "aic"], expected, f"{what}: aic({name})", mistakes=[
            Mistake(-expected, "the sign is flipped: AIC = −2·Σᵢ log p(xᵢ) + 2p, lower is better"),
            Mistake(expected - 2 * (k - 1), "the K−1 free weights were not counted in p"),
            Mistake(-2 * log_lik + p, "the penalty is 2p, not p"),
        ])


HIGHEST = ("returned the candidate with the highest {criterion}; lower is better")


@points(3, depends={"test_bic_aic": "select_n_components compares your bic / aic",
                    "test_fit_history": "select_n_components runs your fit"})
def test_select_n_components(student, carry, rng):
    """select_n_components: recovers the true K of synthetic data by BIC and by AIC (the true K not first among the candidates)"""
    # Margins in BIC units (lower is better), measured over 300 seeds of exactly these data for the
    # reference, for an independent implementation with uniform k-means starts, and for
    # scikit-learn's best of 5 starts at tol 1e-6 (about the most any EM fit can gain):
    # - two clusters ≥ 6 standard deviations apart: BIC(1) − BIC(2) ≥ 876 (median 1345);
    # - one Gaussian: BIC(2) − BIC(1) = 28·log 800 − 2·(log-likelihood gained by a second
    #   component) = 187 − 2·gain ≥ 133 for the reference and the independent implementation,
    #   ≥ 93 (median 131) for scikit-learn's best fit.
    # K = 3 on the two clusters adds 28 parameters too: BIC(3) − BIC(2) = 187 − 2·gain, the same
    # bound (a third component gains no more on two Gaussians than a second on one; a k-means start
    # that leaves a cluster empty gives, with the spec's Nₖ + 10·ε, a dead component and no gain).
    # AIC (penalty 2p) on the two clusters: AIC(1) − AIC(2) = BIC(1) − BIC(2) − 28·(log 800 − 2)
    # ≥ 876 − 131 = 745. (AIC is not asked to choose between K = 2 and 3, where its penalty of 56
    # does not always beat the gain.)
    # Where the two criteria disagree (fixed data, no luck involved): 400 values, the 200 quantiles of
    # N(−1.1, 1) and of N(1.1, 1). A second component gains 2·(ℓ₂ − ℓ₁) = 13.0 (the reference from any
    # seed; scikit-learn's fits from 20 k-means++ starts 10.9–13.0), between AIC's penalty difference of
    # 2·3 = 6 and BIC's 3·log 400 = 18.0: AIC chooses K = 2, BIC K = 1.
    d, n = 6, 800
    cases = []
    w, m, c = random_gmm(2, d, separation=6.0, rng=rng)
    two = sample_gmm(n, w, m, c, rng=rng)[0]
    cases.append((two, f"{n} samples of 2 clusters in {d}-D", [1, 3, 2], "bic", 2))
    w, m, c = random_gmm(1, d, rng=rng)
    cases.append((sample_gmm(n, w, m, c, rng=rng)[0], f"{n} samples of 1 Gaussian in {d}-D", [1, 2], "bic", 1))
    cases.append((two, f"{n} samples of 2 clusters in {d}-D", [1, 2], "aic", 2))
    q = stats.norm.ppf((np.arange(200) + 0.5) / 200)
    close = np.concatenate([q - 1.1, q + 1.1])
    where = "400 values of two close Gaussians (AIC and BIC disagree)"
    # these two turn on the penalties' exact size: where the parameter count or bic / aic fails its own
    # test, that test has the charge
    charged = [test for test in ("test_n_parameters", "test_bic_aic") if carry.failed(test)]
    if charged:
        carry.note("n_parameters" if charged[0] == "test_n_parameters" else "bic", charged[0])
    else:
        cases += [(close, where, [2, 1], "bic", 1), (close, where, [1, 2], "aic", 2)]
    for X, truth, candidates, criterion, expected in cases:
        seed = int(rng.integers(2**31))
        what = (f"select_n_components(X, {candidates}, criterion={criterion!r}, random_state={seed}) on "
                f"{truth}")
        got = expect_array(student.select_n_components(X, candidates, criterion=criterion, random_state=seed),
                           what, kind="iu")
        expect(got.size == 1, f"{what}: expected one integer, got an array of shape {got.shape}")
        # when a function the model runs fails its own test, the expected choice is the reference's
        # selection (the arg-min) over models built on your own functions
        carry.check(lambda module, args=(got, X, candidates, criterion, expected, seed, what): (
            check_selected(*args) if module is None else expect_equal(
                got.reshape(()), module.select_n_components(X, candidates, criterion=criterion, random_state=seed),
                f"{what} (the candidate your own models' {criterion} ranks first)")),
            uses=SELECTION_USES)


#: select_n_components composes what the model runs (its own class is not carried: the arg-min would
#: read bic / aic values no check has seen)
SELECTION_USES = {"log_gaussian_prob": "test_log_gaussian_prob_full", "e_step": "test_e_step_full",
                  "m_step": "test_m_step_full", "n_parameters": "test_n_parameters"}


@same_for_every_student
def reference_scores(X, candidates, criterion, seed):
    """The ``criterion`` (bic / aic) of the reference's fit for each candidate K, as a tuple. Computed
    once per grader process: the class shares one seed, so every student's test draws the same data."""
    return tuple(getattr(ref.GaussianMixtureEM(k, random_state=seed).fit(X), criterion)(X) for k in candidates)


def check_selected(got, X, candidates, criterion, expected, seed, what):
    scores = reference_scores(X, candidates, criterion, seed)
    mistakes = []
    if candidates.index(expected) not in candidates:  # else that position is an answer of its own
        mistakes.append(Mistake(candidates.index(expected), "returned the position of the best candidate in "
                                                            "the list, not the candidate itself"))
    worst = candidates[int(np.argmax(scores))]
    if worst != expected and len(candidates) > 2:  # with two candidates every wrong answer is "the highest"
        mistakes.append(Mistake(worst, HIGHEST.format(criterion=criterion.upper())))
    expect_equal(got.reshape(()), expected, what, mistakes=mistakes)


# ----------------------------------------------------------------------------- choosing K on held-out data

#: the held-out choice composes what the model runs, as select_n_components by BIC does (n_parameters aside)
VALIDATION_USES = {k: v for k, v in SELECTION_USES.items() if k != "n_parameters"}
ON_X = ("validated on X: the held-out log-likelihood must be that of X_val (the fits never see it); on the "
        "training data X the largest K always fits best")
SMALLEST = "returned the candidate with the smallest held-out log-likelihood; the largest is best"
LAST_OF_TIE = "on an exact tie the latest of the tied candidates was returned; the earliest one wins"
NO_X_VAL = ("criterion='validation' without X_val was not checked: raise a ValueError that says X_val is "
            "required (before fitting anything)")


def reference_totals(X, X_val, candidates, seed):
    """{K: (training total, held-out total)} of the log-likelihoods of the reference's fits."""
    out = {}
    for k in candidates:
        model = ref.GaussianMixtureEM(k, random_state=seed).fit(X)
        out[k] = (float(np.sum(model.score_samples(X))), float(np.sum(model.score_samples(X_val))))
    return out


def check_validation(student, carry, X, X_val, candidates, expected, seed, what, evidence):
    """The student's select_n_components(criterion="validation") against ``expected``; ``evidence``: which
    mistakes this case can name ("smallest", "on_x"), from the reference's fits of the same data."""
    try:
        got = student.select_n_components(X, candidates, criterion="validation", random_state=seed, X_val=X_val)
    except StudentCodeError as exc:
        # a fit that raises because a step it runs fails its own test (an m_step without reg_covar, whose
        # twelve components on 300 samples collapse) is charged there
        charged = carry.own_failures(VALIDATION_USES)
        if exc.kind != "exception" or not charged:
            raise
        function, test = next(iter(charged.items()))
        carry.note(function, test)
        return
    got = expect_array(got, what, kind="iu")
    expect(got.size == 1, f"{what}: expected one integer, got an array of shape {got.shape}")

    def compare(module):
        if module is not None:  # the reference's arg-max over models built on your own functions
            expect_equal(got.reshape(()), module.select_n_components(
                X, candidates, criterion="validation", random_state=seed, X_val=X_val),
                f"{what} (the candidate your own models give X_val the largest log-likelihood)")
            return
        mistakes = []
        if int(got.reshape(())) != expected:
            totals = reference_totals(X, X_val, candidates, seed)
            if "on_x" in evidence:
                mistakes.append(Mistake(max(candidates, key=lambda k: totals[k][0]), ON_X))
            if "smallest" in evidence:
                mistakes.append(Mistake(min(candidates, key=lambda k: totals[k][1]), SMALLEST))
        expect_equal(got.reshape(()), expected, what, mistakes=[m for m in mistakes if m.value != expected])

    carry.check(compare, uses=VALIDATION_USES)


#: the held-out test's data: two well-separated Gaussians in 5-D, 300 training and 3,000 held-out samples
VAL_K, VAL_D, VAL_N, VAL_N_HELD_OUT, VAL_BIG = 2, 5, 300, 3000, 12


@points(3, depends={"test_fit_history": "select_n_components runs your fit",
                    "test_score_samples_and_score": "the held-out log-likelihood is that of your score_samples"})
def test_select_n_components_on_held_out_data(student, carry, rng):
    """select_n_components(criterion="validation"): the K whose fit on X gives X_val the largest total log-likelihood — the true K of two well-separated Gaussians, where the training likelihood prefers the largest K"""
    # Margins in total log-likelihood (nats), measured over 300 seeds of exactly these data for the
    # reference and for scikit-learn's GaussianMixture from its own k-means++ start (an independent fit):
    # - held out, K = 2 against K = 1: ≥ 1783 (median 2841). Not a matter of luck: one Gaussian for two
    #   that are 6 standard deviations apart loses ≈ 0.46 nats on every held-out sample at the least (two
    #   clusters of weights 1/4 and 3/4), ≈ 1400 on 3000 samples, with a spread of ≈ 80;
    # - held out, K = 2 against K = 12 (ten components too many, 210 parameters fitted on 300 samples):
    #   ≥ 1577 (mean 2440–2534, standard deviation ≈ 355: 7 standard deviations);
    # - training data, K = 12 against K = 2 and K = 1: ≥ 133 (mean 187–199, standard deviation ≈ 25).
    # The first case names a choice of the smallest held-out likelihood (K = 1), the second a choice on the
    # training data (K = 12): each is positive evidence of its mistake only.
    w, m, c = random_gmm(VAL_K, VAL_D, separation=6.0, rng=rng)
    X, _ = sample_gmm(VAL_N, w, m, c, rng=rng)
    X_val, _ = sample_gmm(VAL_N_HELD_OUT, w, m, c, rng=rng)
    seed = int(rng.integers(2**31))
    for candidates, evidence in (([1, VAL_K], ("smallest",)), ([VAL_K, VAL_BIG, 1], ("on_x",))):
        what = (f"select_n_components(X, {candidates}, criterion='validation', random_state={seed}, X_val) with "
                f"{VAL_N} training and {VAL_N_HELD_OUT} held-out samples (X_val) of {VAL_K} well-separated "
                f"Gaussians in {VAL_D}-D")
        check_validation(student, carry, X, X_val, candidates, VAL_K, seed, what, evidence)


@points(1, depends={"test_fit_history": "select_n_components runs your fit"})
def test_select_n_components_on_held_out_data_ties_and_no_X_val(student, carry, rng):
    """select_n_components(criterion="validation"): an exact tie goes to the earliest candidate; without X_val, a ValueError that says so"""
    # Three integers a, b, b + 1, 40 copies each, a more than 20 below b; X_val: copies of a. K = 2 fits {a}
    # and {b, b + 1}, K = 3 fits {a}, {b}, {b + 1} (any k-means start ends so, or with an empty cluster that
    # holds no responsibility): in both, a's component has weight 40/120, mean a and variance reg_covar, all
    # computed exactly (integers; 40 + 10·ε rounds to 40), and every other component's density underflows
    # to 0 at a. So K = 2 and K = 3 give X_val exactly the same log-likelihood; K = 1 a far smaller one.
    a, b = float(rng.integers(-30, -20)), float(rng.integers(3, 9))
    X = rng.permutation(np.repeat([a, b, b + 1], 40))
    X_val = np.full(5, a)
    seed = int(rng.integers(2**31))
    # the choice itself is charged in the held-out test (which tied candidate comes first means nothing on
    # another choice), and an m_step without reg_covar in its own (the fits here need it: repeated values)
    charged = [test for test in ("test_select_n_components_on_held_out_data", "test_m_step_full")
               if carry.failed(test)]
    if charged:
        carry.note("select_n_components" if charged[0].endswith("held_out_data") else "m_step", charged[0])
    for candidates in () if charged else ([3, 2, 1], [2, 3, 1]):
        what = (f"select_n_components(x, {candidates}, criterion='validation', random_state={seed}, X_val) on "
                f"40 copies each of {a:g}, {b:g} and {b + 1:g}, X_val 5 copies of {a:g} (K = 2 and K = 3 give X_val "
                "exactly the same log-likelihood: a tie)")
        got = expect_array(student.select_n_components(X, candidates, criterion="validation", random_state=seed,
                                                       X_val=X_val), what, kind="iu")
        expect(got.size == 1, f"{what}: expected one integer, got an array of shape {got.shape}")
        carry.check(lambda module, got=got, candidates=candidates, what=what: expect_equal(
            got.reshape(()), candidates[0] if module is None else module.select_n_components(
                X, candidates, criterion="validation", random_state=seed, X_val=X_val),
            what if module is None else f"{what} (the candidate your own models rank first)",
            mistakes=[Mistake(candidates[1], LAST_OF_TIE)] if module is None else ()), uses=VALIDATION_USES)
    what = f"select_n_components(x, [1, 2], criterion='validation', random_state={seed}) without X_val"
    try:
        got = student.select_n_components(X, [1, 2], criterion="validation", random_state=seed)
    except StudentCodeError as exc:
        if exc.kind != "exception":
            raise
        raised = str(exc)
        said = raised.split(" raised ", 1)[-1].removesuffix(f" at {exc.where[-1]}" if exc.where else "")
        # positive evidence of no check: an error that does not name X_val, raised outside select_n_components
        # (in a conversion of None, say)
        elsewhere = bool(exc.where) and "in select_n_components" not in exc.where[-1]
        expect(said.startswith("ValueError: ") and "X_val" in said,
               f"{what}: expected a ValueError whose message says that X_val is required; {raised}"
               + (f"\nLikely mistake: {NO_X_VAL}" if elsewhere and "X_val" not in said else ""))
    else:
        fail(f"{what}: returned {got!r}; expected a ValueError that says X_val is required\nLikely mistake: "
             f"{NO_X_VAL}")
