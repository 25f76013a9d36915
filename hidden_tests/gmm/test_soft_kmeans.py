"""gmm, part 7: soft k-means — EM with equal weights and one shared spherical variance (8 points)."""
import numpy as np
from scipy.special import logsumexp

from autograder.harness import (GradingFailure, Mistake, expect, expect_array, expect_close, expect_equal, points,
                                reference, same_for_every_student)
from datasets import load_old_faithful, random_gmm, sample_gmm

ref = reference("gmm")
FAITHFUL_STD = load_old_faithful(standardize=True)

# Soft k-means may be written on the student's own e_step (or log_gaussian_prob): where that fails its own
# test, the expected values are the reference's soft k-means on them (error carried forward).
E_STEP_USES = {"e_step": ("test_e_step_spherical", "test_e_step_full", "test_e_step_far_away"),
               "log_gaussian_prob": ("test_log_gaussian_prob_spherical", "test_log_gaussian_prob_full",
                                     "test_log_gaussian_prob_extremes")}
RESP_TEST = "test_soft_kmeans_resp_is_the_e_step_with_weights_1_over_K_and_variance_1_over_2beta"
CENTRES_TEST = "test_soft_kmeans_centres_are_the_resp_weighted_means"
FAR_TEST = "test_soft_kmeans_far_from_every_centre"
SOFT_DEPENDS = {RESP_TEST: "soft_kmeans' responsibilities", CENTRES_TEST: "soft_kmeans' centre update"}


def uses(*tests):
    """What a test composes: the student's own soft_kmeans rounds once one of ``tests`` (the tests of its
    steps) failed, and the e_step / log_gaussian_prob it may be written on."""
    return {"soft_kmeans": tests, **E_STEP_USES} if tests else dict(E_STEP_USES)


# ----------------------------------------------------------------------------- grader-side formulas


def sq_distances(X, centers):
    """‖xᵢ − μₖ‖², (n, K), computed directly (x − μ before squaring)."""
    return ((X[:, None, :] - np.asarray(centers, dtype=float)[None]) ** 2).sum(-1)


def softmax_rows(logits):
    return np.exp(logits - logsumexp(logits, axis=1, keepdims=True))


def e_step_resp(X, centers, beta, variance=None, module=None):
    """The responsibilities of e_step (the reference's, or ``module``'s) for weights 1/K and spherical
    covariances σ² = 1/(2β) (or ``variance``)."""
    k = len(centers)
    variance = 0.5 / beta if variance is None else variance
    resp, _ = (module or ref).e_step(X, np.full(k, 1.0 / k), centers, np.full(k, variance), "spherical")
    return np.asarray(resp, dtype=float)


def weighted_means(X, resp, centers, divisor=None):
    """Σᵢ rᵢₖ xᵢ / Σᵢ rᵢₖ (or / ``divisor``); a cluster whose total is 0 keeps its centre."""
    totals = resp.sum(axis=0)
    out = np.array(centers, dtype=float)
    moved = totals > 0
    out[moved] = (resp[:, moved].T @ X) / (totals[moved, None] if divisor is None else divisor)
    return out


def start_rows(rng, X, k):
    rows = rng.choice(len(X), size=k, replace=False)
    while len(np.unique(X[rows], axis=0)) < k:
        rows = rng.choice(len(X), size=k, replace=False)
    return X[rows].copy()


def as_pair(got, what):
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"{what} should return (centers, resp), got {type(got).__name__}")
    return got


def column(X):
    return X.reshape(len(X), -1)


def own_run(module, X, k, beta, start, max_iter=300, tol=1e-6):
    """The spec's loop — rounds until no centre coordinate moves by more than tol, at most max_iter —
    run here on the rounds of ``module``'s soft_kmeans (each a call with max_iter=1): the reference's,
    or the reference's on your own e_step, or your own. Returns (centers, resp) of the last round."""
    centers = np.array(start, dtype=float)
    resp = None
    for _ in range(max_iter):
        new, resp = as_pair(module.soft_kmeans(X, k, beta, centers, 1), "soft_kmeans(..., max_iter=1)")
        new = expect_array(new, "your soft_kmeans' centres after one round", shape=centers.shape, finite=False)
        shift = np.max(np.abs(new - centers))
        centers = new
        if shift <= tol:
            break
    return centers, np.asarray(resp, dtype=float)


def check_limit(student, carry, X, k, beta, start, what, limit):
    """A limit of soft k-means (large or small β): your ``soft_kmeans(X, k, beta, start)`` checked by
    ``limit(centers, resp)``. Where its round's formulas failed their own tests, they are charged
    there (the limit of other formulas is another limit); carried forward, the reference's loop on
    your own e_step is the judge."""
    got = as_pair(student.soft_kmeans(X, k, beta, start), what)
    centers = expect_array(got[0], f"{what}: the centres", shape=(k, X.shape[1]))
    resp = expect_array(got[1], f"{what}: resp", shape=(len(X), k))
    charged = [test for test in (RESP_TEST, CENTRES_TEST) if carry.failed(test)]
    if charged:
        carry.note("soft_kmeans", charged[0])
        return

    def compare(module):
        if module is None:
            limit(centers, resp)
            return
        own_c, own_r = own_run(module, X, k, beta, start)  # the reference's soft k-means on your own e_step
        expect_close(centers, own_c, f"{what}: the centres (on your own e_step)", atol=1e-9)
        expect_close(resp, own_r, f"{what}: resp (on your own e_step)", atol=1e-12)

    carry.check(compare, uses=uses(), iterative=True)


@same_for_every_student
def trajectory(X, k, beta, start, rounds):
    """The reference's centres c₀ (the start), c₁, …: one round at a time, as a tuple of read-only arrays.
    Computed once per grader process: the class shares one seed, so every student's test draws the
    same start."""
    path = [np.array(start, dtype=float)]
    for _ in range(rounds):
        path.append(np.array(ref.soft_kmeans(X, k, beta, path[-1], 1)[0], dtype=float))
    for centers in path:
        centers.setflags(write=False)
    return tuple(path)


# ----------------------------------------------------------------------------- the E-step

BETA_AS_VARIANCE = ("β was used as a variance: rᵢₖ ∝ exp(−‖xᵢ − μₖ‖² / (2β)); β multiplies the squared "
                    "distance, rᵢₖ ∝ exp(−β‖xᵢ − μₖ‖²) (a Gaussian of variance σ² = 1/(2β))")
SIGMA2_ONE_OVER_BETA = ("σ² = 1/β: rᵢₖ ∝ exp(−β‖xᵢ − μₖ‖² / 2); the softmax of −β‖xᵢ − μₖ‖² has no ½, so "
                        "it is e_step's with σ² = 1/(2β), not 1/β")
OVER_SAMPLES = ("the softmax was taken over the samples (each column sums to 1); take it over the clusters: "
                "rᵢₖ = exp(−β‖xᵢ − μₖ‖²) / Σⱼ exp(−β‖xᵢ − μⱼ‖²), each row sums to 1")
STALE_RESP = ("the responsibilities are one round stale: those of the centres before the last update; the "
              "returned resp must be those of the returned centres (compute them once more after the loop)")
WRONG_SIGN = "the exponent's sign: rᵢₖ ∝ exp(−β‖xᵢ − μₖ‖²), the nearest centre gets the largest share"


def resp_cases(rng):
    """(what, X, K, β, start): Old Faithful (standardised), 4-D synthetic data, a 1-D X."""
    w, m, c = random_gmm(4, 4, separation=2.5, rng=rng)
    X4, _ = sample_gmm(200, w, m, c, rng=rng)
    X4 = (X4 - X4.mean(0)) / X4.std(0)
    x1 = FAITHFUL_STD[:, 1].copy()
    return [
        ("Old Faithful (standardised), K=3, β=2", FAITHFUL_STD, 3, 2.0, start_rows(rng, FAITHFUL_STD, 3)),
        ("200 samples in 4-D (standardised), K=4, β=0.3", X4, 4, 0.3, start_rows(rng, X4, 4)),
        ("a 1-D X of 272 values, K=2, β=5", x1, 2, 5.0, start_rows(rng, column(x1), 2)),
    ]


@points(2, depends={"test_e_step_spherical": "soft_kmeans is e_step's with spherical covariances"})
def test_soft_kmeans_resp_is_the_e_step_with_weights_1_over_K_and_variance_1_over_2beta(student, carry, rng):
    """soft_kmeans' responsibilities are e_step's with weights 1/K and spherical covariances σ² = 1/(2β): softmaxₖ(−β‖xᵢ − μₖ‖²), rows summing to 1"""
    # One round from given centres (max_iter=1): whatever the centres became, the returned resp must be
    # the E-step of a mixture with equal weights and one shared variance σ² = 1/(2β) at those centres.
    for what, X, k, beta, start in resp_cases(rng):
        what = f"soft_kmeans(X, {k}, beta={beta:g}, init_centers, max_iter=1) on {what}"
        X2 = column(X)
        centers, resp = as_pair(student.soft_kmeans(X, k, beta, start, 1), what)
        centers = expect_array(centers, f"{what}: the centres", shape=start.shape)
        resp = expect_array(resp, f"{what}: resp", shape=(len(X2), k), finite=False)

        def compare(module, centers=centers, resp=resp, X2=X2, beta=beta, start=start, what=what):
            if module is not None:  # your own e_step (or the reference's on your own log_gaussian_prob)
                expect_close(resp, e_step_resp(X2, centers, beta, module=module),
                             f"{what}: resp, against e_step(X, 1/K, centres, 1/(2β), 'spherical') of your own")
                return
            d2 = sq_distances(X2, centers)
            expect_close(resp, e_step_resp(X2, centers, beta),
                         f"{what}: resp, against e_step(X, weights 1/K, the returned centres, spherical "
                         f"covariances 1/(2β) = {0.5 / beta:g})", mistakes=[
                             Mistake(e_step_resp(X2, centers, beta, variance=beta), BETA_AS_VARIANCE),
                             Mistake(e_step_resp(X2, centers, beta, variance=1.0 / beta), SIGMA2_ONE_OVER_BETA),
                             Mistake(np.exp(-beta * d2 - logsumexp(-beta * d2, axis=0)), OVER_SAMPLES),
                             Mistake(softmax_rows(beta * d2), WRONG_SIGN),
                             Mistake(e_step_resp(X2, start, beta), STALE_RESP),
                         ])
            expect_close(resp.sum(axis=1), np.ones(len(X2)), f"{what}: the row sums of resp", rtol=1e-9)

        carry.check(compare, uses=uses())


# ----------------------------------------------------------------------------- the centres

DIVIDED_BY_N = ("the centres were divided by n: μₖ = Σᵢ rᵢₖ xᵢ / Σᵢ rᵢₖ, divided by the cluster's total "
                "responsibility, not by the number of samples")
NOT_DIVIDED = "the centres were not divided: μₖ = Σᵢ rᵢₖ xᵢ / Σᵢ rᵢₖ"
HARD_MEANS = ("the centres moved to the means of the rows nearest to them (hard k-means); soft k-means moves "
              "them to the responsibility-weighted means Σᵢ rᵢₖ xᵢ / Σᵢ rᵢₖ of all rows")


def centre_rounds(X, start, beta, update, rounds):
    """Centres after ``rounds`` rounds of the reference's resp followed by ``update(resp, centers)``."""
    centers = np.array(start, dtype=float)
    for _ in range(rounds):
        centers = update(e_step_resp(X, centers, beta), centers)
    return centers


def hard_means(X, resp, centers):
    labels = np.argmax(resp, axis=1)
    return weighted_means(X, np.eye(resp.shape[1])[labels], centers)


@points(2, depends=SOFT_DEPENDS | {"test_e_step_spherical": "soft_kmeans is e_step's with spherical covariances"})
def test_soft_kmeans_centres_are_the_resp_weighted_means(student, carry, rng):
    """soft_kmeans moves every centre to the responsibility-weighted mean Σᵢ rᵢₖ xᵢ / Σᵢ rᵢₖ (one and two rounds from given centres)"""
    w, m, c = random_gmm(3, 3, separation=3.0, rng=rng)
    X3, _ = sample_gmm(150, w, m, c, rng=rng)
    X3 = (X3 - X3.mean(0)) / X3.std(0) + rng.normal(size=3)  # not centred: dividing by n shows
    cases = [("Old Faithful (standardised) + (1, 2), K=3, β=2", FAITHFUL_STD + [1.0, 2.0], 3, 2.0),
             ("150 samples in 3-D, K=4, β=0.5", X3, 4, 0.5)]
    for what, X, k, beta in cases:
        start = start_rows(rng, X, k)
        for rounds in (1, 2):
            label = f"soft_kmeans(X, {k}, beta={beta:g}, init_centers, max_iter={rounds}) on {what}: the centres"
            centers = expect_array(as_pair(student.soft_kmeans(X, k, beta, start, rounds), label)[0], label,
                                   shape=start.shape)

            def compare(module, centers=centers, X=X, k=k, beta=beta, start=start, rounds=rounds, label=label):
                if module is not None:
                    # the reference's centre update on the responsibilities of your own rounds
                    c1, r1 = own_run(module, X, k, beta, start, max_iter=1, tol=-1.0)
                    expected = c1 if rounds == 1 else weighted_means(X, r1, c1)
                    expect_close(centers, expected, f"{label} (the weighted means of your own resp)", atol=1e-9)
                    return
                expect_close(centers, np.asarray(ref.soft_kmeans(X, k, beta, start, rounds)[0]), label, atol=1e-9,
                             mistakes=[
                                 Mistake(centre_rounds(X, start, beta, lambda r, c: weighted_means(X, r, c, len(X)),
                                                       rounds), DIVIDED_BY_N),
                                 Mistake(centre_rounds(X, start, beta, lambda r, c: weighted_means(X, r, c, 1.0),
                                                       rounds), NOT_DIVIDED),
                                 Mistake(centre_rounds(X, start, beta, lambda r, c: hard_means(X, r, c), rounds),
                                         HARD_MEANS),
                             ])

            carry.check(compare, uses=uses(RESP_TEST))


# ----------------------------------------------------------------------------- far from every centre

NO_LOG_SUM_EXP = ("the exponentials were normalised without log-sum-exp: far from every centre exp(−β‖xᵢ − μₖ‖²) "
                  "underflows to 0 for every k, and 0/0 = NaN; subtract each row's largest exponent first "
                  "(or use scipy.special.logsumexp)")
EMPTY_NAN = ("a cluster with no responsibility became NaN (0/0): a cluster whose total responsibility Σᵢ rᵢₖ "
             "is 0 keeps its centre")


@points(1, depends=SOFT_DEPENDS | {"test_e_step_far_away": "e_step far from every mean"})
def test_soft_kmeans_far_from_every_centre(student, carry, rng):
    """soft_kmeans far from every centre (every exp(−β‖x − μ‖²) underflows): finite resp whose rows sum to 1; a cluster with no responsibility keeps its centre"""
    # Data ~300 standard deviations from every centre: −β‖xᵢ − μₖ‖² ≈ −10⁵ for every k. After one round
    # the clusters whose total responsibility underflowed to exactly 0 keep their centres.
    X = rng.normal(size=(30, 2)) + 300.0
    start = rng.normal(size=(3, 2))
    if carry.failed("test_e_step_far_away"):
        carry.note("e_step", "test_e_step_far_away")  # your e_step far from every mean is charged there
    else:
        what = "soft_kmeans(X, 3, beta=1, init_centers, max_iter=1), the data 300 from every starting centre"
        got = as_pair(student.soft_kmeans(X, 3, 1.0, start, 1), what)
        check_far(carry, got, X, 3, 1.0, start, 1, what)
    # starting centres at (40, 40), far from all of Old Faithful (standardised), and at (3.5, 3.5), beyond its
    # corner: the first one's total responsibility is exactly 0 (exp(−2·3000) underflows), so it keeps its
    # centre; the second's is tiny (about e⁻⁹ per nearby row) but not 0, so it moves, as the others do
    start = np.vstack([start_rows(rng, FAITHFUL_STD, 2), [[40.0, 40.0], [3.5, 3.5]]])
    what = ("soft_kmeans(X, 4, beta=2, init_centers, max_iter=1) on Old Faithful (standardised), starting "
            "centres 2 and 3 at (40, 40) and (3.5, 3.5)")
    got = as_pair(student.soft_kmeans(FAITHFUL_STD, 4, 2.0, start, 1), what)
    check_far(carry, got, FAITHFUL_STD, 4, 2.0, start, 1, what)


def check_far(carry, got, X, k, beta, start, rounds, what):
    centers = expect_array(got[0], f"{what}: the centres", shape=(k, X.shape[1]), finite=False)
    resp = expect_array(got[1], f"{what}: resp", shape=(len(X), k), finite=False)
    expected_c, expected_r = (np.asarray(a) for a in ref.soft_kmeans(X, k, beta, start, rounds))
    empty = e_step_resp(X, start, beta).sum(axis=0) == 0
    empties = np.flatnonzero(empty).tolist()
    keep = f" (clusters {empties} have no responsibility: they keep their centres)" if empties else ""

    def finite():
        # positive evidence: NaN exactly at the clusters with no responsibility, the others right; or (that
        # not being the case) NaN responsibilities everywhere
        nan_empty = bool(empty.any() and np.all(np.isnan(centers[empty]))
                         and np.allclose(centers[~empty], expected_c[~empty], rtol=1e-6, atol=1e-9))
        nan_resp = not nan_empty and not np.any(np.isfinite(resp))
        likely = (f"\nLikely mistake: {EMPTY_NAN}" if nan_empty else
                  f"\nLikely mistake: {NO_LOG_SUM_EXP}" if nan_resp else "")
        expect(np.all(np.isfinite(centers)), f"{what}: the centres contain NaN or infinite values{keep}{likely}")
        expect(np.all(np.isfinite(resp)), f"{what}: resp contains NaN or infinite values; every entry should "
               f"be finite (log space / log-sum-exp keeps it so){likely}")

    charged = [test for test in (RESP_TEST, CENTRES_TEST) if carry.failed(test)]
    if charged:
        # your formulas are charged in their own tests: here, only what far from every centre adds
        carry.note("soft_kmeans", charged[0])
        finite()
        return

    def compare(module):
        if module is not None:  # the reference's round on your own e_step
            own_c, own_r = own_run(module, X, k, beta, start, max_iter=rounds, tol=-1.0)
            expect_close(centers, own_c, f"{what}: the centres (on your own e_step)", atol=1e-9)
            expect_close(resp, own_r, f"{what}: resp (on your own e_step)", atol=1e-12)
            return
        finite()
        expect_close(resp.sum(axis=1), np.ones(len(X)), f"{what}: the row sums of resp", rtol=1e-9)
        tiny = np.flatnonzero((e_step_resp(X, start, beta).sum(axis=0) < 1) & ~empty).tolist()
        expect_close(centers, expected_c, f"{what}: the centres{keep}" + (
            f" (clusters {tiny} have a tiny total responsibility, but not 0: they move to their weighted means)"
            if tiny else ""), atol=1e-9)
        expect_close(resp, expected_r, f"{what}: resp", atol=1e-12)

    carry.check(compare, uses=uses())


# ----------------------------------------------------------------------------- the loop

STOPPED_EARLY = ("returned the centres before the last update (or stopped one round early): the loop stops "
                 "after the first round in which no centre coordinate moved by more than tol, and returns "
                 "the centres that round computed")
STOPPED_LATE = ("ran one round too many: the loop stops after the first round in which no centre coordinate "
                "moved by more than tol")
SUMMED_MOVE = ("stopped on the sum of the moves of every coordinate; stop when the largest one, "
               "max over k and j of |μₖⱼ(new) − μₖⱼ(old)|, is at most tol")
LATE_OR_SUMMED = ("ran one round too many: the loop stopped on the sum of the moves of every coordinate, or "
                  "one round after the first round that moved no coordinate by more than tol; stop after the "
                  "first round whose largest move, max over k and j of |μₖⱼ(new) − μₖⱼ(old)|, is at most tol")
MAX_ITER_IGNORED = "max_iter was ignored: stop after max_iter rounds even if the centres still move"
ROW_TWICE = ("the start drew a row twice; the K starting rows must be distinct "
             "(rng.choice(n, K, replace=False))")


def shifts(path):
    return [float(np.max(np.abs(b - a))) for a, b in zip(path, path[1:])]


def pick_tol(path):
    """``(tol, stop, summed)``: a tol between two successive shifts of the reference's path and more than
    1 % from every shift and every summed move (rounding differs by ~1e-12), so that the round the loop stops
    after (``stop``) is unambiguous and stopping one round early or late changes the centres; ``summed`` is
    the round a loop stopping on the sum of the moves stops after (later: the sum is at least the largest
    move). The shifts stay above 1e-5, so that rounds differ by far more than the comparison's tolerance."""
    s = shifts(path)
    total = [float(np.sum(np.abs(b - a))) for a, b in zip(path, path[1:])]
    for t in range(2, len(s) - 4):
        # below s[t] and the summed move total[t + 1], above s[t + 1]
        tol = float(np.sqrt(s[t + 1] * min(s[t], total[t + 1])))
        if not (s[t] < 0.1 and s[t + 1] > 1e-5
                and all(abs(np.log(v / tol)) > np.log(1.01) for v in s + total if v > 0)):
            continue
        stop = next(i for i, v in enumerate(s) if v <= tol) + 1
        summed = next((i for i, v in enumerate(total) if v <= tol), len(s)) + 1
        if stop < summed < len(path):
            return tol, stop, summed
    raise AssertionError("no unambiguous tol on this path (a test-design error)")


@points(1, depends=SOFT_DEPENDS)
def test_soft_kmeans_stops_at_a_fixed_point(student, carry, rng):
    """soft_kmeans' loop: stops after the first round that moves no centre coordinate by more than tol (a fixed point), or after max_iter rounds; K distinct starting rows drawn with rng"""
    X, k, beta = FAITHFUL_STD, 3, 1.0
    start = start_rows(rng, X, k)
    path = trajectory(X, k, beta, start, 60)
    tol, stop, summed = pick_tol(path)
    cases = [(f"soft_kmeans(X, {k}, beta={beta:g}, init_centers, tol={tol:.3g}) on Old Faithful (standardised)",
              X, beta, start, 300, tol,
              [Mistake(path[stop - 1], STOPPED_EARLY)]
              + ([Mistake(path[stop + 1], LATE_OR_SUMMED)] if summed == stop + 1 else
                 [Mistake(path[stop + 1], STOPPED_LATE), Mistake(path[summed], SUMMED_MOVE)])),
             (f"soft_kmeans(X, {k}, beta={beta:g}, init_centers, max_iter=3, tol=0) on Old Faithful "
              "(standardised)", X, beta, start, 3, 0.0, [Mistake(path[-1], MAX_ITER_IGNORED)])]
    # a 1-D x whose two centres both start below its two clusters: every coordinate moves up in the first
    # round, so a move measured with its sign (max of the decreases) would stop there
    x1 = FAITHFUL_STD[:, 0].copy()
    low = x1.min() - rng.uniform(0.5, 1.0)
    cases.append((f"soft_kmeans(x, 2, beta=2, init_centers=[[{low:.3f}], [{low + 0.5:.3f}]]) on a 1-D x of "
                  "272 values (default tol 1e-6)", x1, 2.0, np.array([[low], [low + 0.5]]), 300, 1e-6, []))
    for what, X, beta, start, max_iter, tol, mistakes in cases:
        X2 = column(X)
        got = as_pair(student.soft_kmeans(X, len(start), beta, start, max_iter=max_iter, tol=tol), what)
        centers = expect_array(got[0], f"{what}: the centres", shape=start.shape)
        resp = expect_array(got[1], f"{what}: resp", shape=(len(X2), len(start)))

        def compare(module, centers=centers, resp=resp, X2=X2, start=start, max_iter=max_iter, tol=tol,
                    beta=beta, what=what, mistakes=mistakes):
            if module is not None:  # the spec's loop on your own rounds
                own_c, own_r = own_run(module, X2, len(start), beta, start, max_iter=max_iter, tol=tol)
                expect_close(centers, own_c, f"{what}: the centres (the spec's loop on your own rounds)", atol=1e-9)
                expect_close(resp, own_r, f"{what}: resp (those of your own last round)", atol=1e-12)
                return
            expected_c, expected_r = (np.asarray(a) for a in
                                      ref.soft_kmeans(X2, len(start), beta, start, max_iter=max_iter, tol=tol))
            expect_close(centers, expected_c, f"{what}: the centres", atol=1e-9,
                         mistakes=[m for m in mistakes if not np.allclose(m.value, expected_c, atol=1e-9)])
            expect_close(resp, expected_r, f"{what}: resp (those of the returned centres)", atol=1e-12)
            if max_iter == 300:  # a fixed point: one more round moves no centre coordinate beyond tol
                again = np.asarray(ref.soft_kmeans(X2, len(start), beta, centers, 1)[0])
                moved = float(np.max(np.abs(again - centers)))
                expect(moved <= tol, f"{what}: one more round from your centres moves a coordinate by "
                                     f"{moved:.3g} > tol = {tol:g}: not a fixed point")

        carry.check(compare, uses=uses(RESP_TEST, CENTRES_TEST, FAR_TEST), iterative=True)
    # without init_centers: K distinct rows drawn with rng. With K = n and a stiff β every row is its own
    # cluster, so the centres are the rows themselves whichever rows start where (a row drawn twice leaves
    # two equal centres). Where they are not and a formula soft k-means runs fails its own test (the
    # responsibilities, the centre update, or the e_step / log_gaussian_prob it may be written on), that
    # test has the charge: a wrong formula need not keep the rows (only the same-seed check is made then).
    X6 = rng.normal(size=(6, 2)) * 3.0
    d2 = sq_distances(X6, X6)
    beta6 = float(200.0 / d2[d2 > 0].min())  # a Python float: np.float64 crosses the wire as shape (1,)
    formulas = [RESP_TEST, CENTRES_TEST] + [t for tests in E_STEP_USES.values() for t in tests]
    for seed in rng.integers(2**31, size=4):
        what = f"soft_kmeans(X, 6, beta={beta6:.3g}, rng={int(seed)}) on 6 distinct rows in 2-D (K = n_samples)"
        got = as_pair(student.soft_kmeans(X6, 6, beta6, rng=int(seed)), what)
        centers = expect_array(got[0], f"{what}: the centres", shape=(6, 2))
        again = expect_array(as_pair(student.soft_kmeans(X6, 6, beta6, rng=int(seed)), what)[0],
                             f"{what}, called a second time: the centres", shape=(6, 2))
        expect_close(again, centers, f"{what}: a second call with the same int rng should give the same centres",
                     rtol=1e-12, atol=0)
        ordered = centers[np.lexsort(centers.T)]
        twice = len(np.unique(centers, axis=0)) < len(centers)
        try:
            expect_close(ordered, X6[np.lexsort(X6.T)], f"{what}: the centres (sorted), which must be the 6 rows "
                         "themselves", atol=1e-9, mistakes=[Mistake(ordered, ROW_TWICE)] if twice else ())
        except GradingFailure:
            charged = [test for test in formulas if carry.failed(test)]
            if not charged:
                raise
            carry.note("soft_kmeans" if charged[0] in (RESP_TEST, CENTRES_TEST) else
                       "e_step" if charged[0].startswith("test_e_step") else "log_gaussian_prob", charged[0])
            break


# ----------------------------------------------------------------------------- the limits


@points(1, depends=SOFT_DEPENDS)
def test_soft_kmeans_large_beta_is_kmeans(student, carry, rng):
    """soft_kmeans with a large β is k-means: from the same start, kmeans' centres and labels = argmax of resp, resp one-hot"""
    # 4 tight, well-separated clusters in 3-D, started from one row of each. β is chosen so that the
    # nearest centre's exponent −β‖x − μ‖² stays above −300 (no underflow, log space or not) while every
    # other centre's is at least 60 below it: the responsibilities are one-hot to e⁻⁶⁰ ≈ 1e-26.
    k, d = 4, 3
    while True:
        w, m, c = random_gmm(k, d, separation=20.0, variance_range=(0.5, 1.0), rng=rng)
        X, z = sample_gmm(200, w, m, c, rng=rng)
        if np.all(np.bincount(z, minlength=k) > 0):
            start = np.stack([X[rng.choice(np.flatnonzero(z == j))] for j in range(k)])
            centers_km, labels_km = (np.asarray(a) for a in ref.kmeans(X, k, init_centers=start))
            near, margin = [], []
            for C in (start, centers_km):
                d2 = np.sort(sq_distances(X, C), axis=1)
                near.append(d2[:, 0].max())
                margin.append((d2[:, 1] - d2[:, 0]).min())
            beta = float(300.0 / max(near))
            if beta * min(margin) >= 60:
                break
    what = f"soft_kmeans(X, {k}, beta={beta:.3g}, init_centers) on 200 samples of 4 well-separated clusters in 3-D"

    def limit(centers, resp):
        expect_equal(np.argmax(resp, axis=1), labels_km, f"{what}: the labels argmax(resp) against "
                                                         "kmeans(X, K, init_centers) from the same start")
        expect_close(centers, centers_km, f"{what}: the centres against kmeans' from the same start", atol=1e-9)
        expect_close(resp, np.eye(k)[labels_km], f"{what}: resp (one-hot: e^(−60) ≈ 1e-26 at most off)",
                     rtol=0, atol=1e-12)

    # (a carried check cannot see work here either: the spec's round is locally constant at this β)
    check_limit(student, carry, X, k, beta, start, what, limit)


@points(1, depends=SOFT_DEPENDS)
def test_soft_kmeans_small_beta_centres_at_the_data_mean(student, carry, rng):
    """soft_kmeans with a small β (σ² = 1/(2β) ten times the data's largest variance): every centre at the data mean, resp = 1/K"""
    # Below β = 1/(2λ), λ the largest eigenvalue of the data covariance, the only stable fixed point has
    # every centre at the data mean x̄; at a tenth of that β each round shrinks the centres' distances to
    # x̄ tenfold, so after the stopping round (moves ≤ 1e-6) they are within about 1e-7 of x̄.
    w, m, c = random_gmm(3, 3, separation=3.0, rng=rng)
    X, _ = sample_gmm(240, w, m, c, rng=rng)
    X = X + rng.normal(scale=5.0, size=3)
    lam = float(np.linalg.eigvalsh(np.cov(X.T, bias=True)).max())
    beta = float(0.05 / lam)
    k = 3
    start = start_rows(rng, X, k)
    what = (f"soft_kmeans(X, {k}, beta={beta:.3g}, init_centers) on 240 samples in 3-D whose covariance's "
            f"largest eigenvalue is {lam:.3g}")

    def limit(centers, resp):
        expect_close(centers, np.tile(X.mean(axis=0), (k, 1)), f"{what}: the centres, against the data mean "
                     f"{np.round(X.mean(axis=0), 4).tolist()}", rtol=0, atol=1e-5)
        expect_close(resp, np.full(resp.shape, 1.0 / k), f"{what}: resp, against 1/K", rtol=0, atol=1e-6)

    check_limit(student, carry, X, k, beta, start, what, limit)
