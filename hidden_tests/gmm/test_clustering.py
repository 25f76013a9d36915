"""gmm, part 1: k-means, the initialisation of EM (11 points)."""
import numpy as np
from sklearn.cluster import KMeans

from autograder.harness import (Mistake, expect, expect_array, expect_close, expect_equal, points, reference,
                                same_for_every_student)
from datasets import load_old_faithful, random_gmm, sample_gmm

ref = reference("gmm")
FAITHFUL = load_old_faithful()
FAITHFUL_STD = load_old_faithful(standardize=True)


def never_empties(X, centers, max_iter):
    """True when Lloyd's algorithm started from ``centers`` never leaves a cluster empty.

    The spec keeps an empty cluster's centre where it was, while scikit-learn
    moves it to a far-away point; the two agree only when no cluster ever
    empties, so every start used below is checked with this (trusted) loop
    and redrawn otherwise.
    """
    centers = np.array(centers, dtype=float)
    labels_old = None
    for _ in range(max_iter):
        labels = np.argmin(((X[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)
        counts = np.bincount(labels, minlength=len(centers))
        if np.any(counts == 0):
            return False
        centers = np.stack([X[labels == k].mean(0) for k in range(len(centers))])
        if labels_old is not None and np.array_equal(labels, labels_old):
            break
        labels_old = labels
    return True


def start_rows(rng, X, k, max_iter, z=None):
    """k rows of X as starting centres (one per true component when ``z`` is given)
    from which no cluster ever empties."""
    while True:
        if z is None:
            rows = rng.choice(len(X), size=k, replace=False)
        else:
            rows = np.array([rng.choice(np.flatnonzero(z == j)) for j in range(k)])
        init = X[rows]
        if len(np.unique(init, axis=0)) == k and never_empties(X, init, max_iter):
            return init.copy()


def kmeans_cases(rng):
    """(what, X, init_centers, max_iter): overlapping synthetic clusters (Lloyd needs several
    rounds) and Old Faithful, raw and standardised."""
    w, m, c = random_gmm(4, 2, separation=1.5, rng=rng)
    X1, z1 = sample_gmm(300, w, m, c, rng=rng)
    w, m, c = random_gmm(5, 6, separation=1.0, rng=rng)
    X2, _ = sample_gmm(400, w, m, c, rng=rng)
    # an outlier far from the rest: its own one-member cluster from the first round
    X3 = np.vstack([sample_gmm(150, *random_gmm(2, 2, separation=3.0, rng=rng), rng=rng)[0],
                    rng.normal(size=(1, 2)) + 40.0])
    X3 = X3[rng.permutation(len(X3))]
    outlier = int(np.argmax(np.abs(X3).max(axis=1)))
    # its starting centre is near it but not on it: a one-member cluster moves to its row
    init3 = np.vstack([start_rows(rng, np.delete(X3, outlier, axis=0), 2, 300),
                       X3[outlier] + rng.uniform(0.5, 1.0, size=2)])
    # many rows far from the origin in 4 tight, well-separated clusters: every row's nearest centre
    # wins by a margin of ≥ 10 in squared distance, so any centring (or none) gives scikit-learn's
    # labels, while centring on the sum of the rows (≈ 10⁹) instead of their mean loses them all
    corners = rng.normal(size=(4, 2)) * 0.3 + np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0]])
    z4 = rng.integers(4, size=10_000)
    z4[:4] = np.arange(4)
    X4 = corners[z4] + rng.normal(scale=0.05, size=(10_000, 2)) + 1e5
    return [
        ("300 samples of 4 overlapping 2-D clusters, K=4", X1, start_rows(rng, X1, 4, 300, z1), 300),
        ("151 samples in 2-D, one of them an outlier that forms a one-member cluster, K=3", X3, init3, 300),
        ("Old Faithful shifted by 10⁵ (far from the origin), K=3", FAITHFUL + 1e5,
         start_rows(rng, FAITHFUL + 1e5, 3, 300), 300),
        ("10,000 samples in 4 tight 2-D clusters 10⁵ from the origin, K=4", X4, start_rows(rng, X4, 4, 300, z4),
         300),
        ("400 samples in 6-D, K=5", X2, start_rows(rng, X2, 5, 300), 300),
        ("400 samples in 6-D, K=5, max_iter=2", X2, start_rows(rng, X2, 5, 2), 2),
        ("Old Faithful (raw), K=3", FAITHFUL, start_rows(rng, FAITHFUL, 3, 300), 300),
        ("Old Faithful (standardised), K=4", FAITHFUL_STD, start_rows(rng, FAITHFUL_STD, 4, 300), 300),
    ]


STALE_LABELS = ("the labels are one round stale: they are those of the centres before the last update; "
                "the returned labels must be those of the nearest returned centre (after max_iter rounds, "
                "assign once more)")
ONE_MEMBER_KEPT = ("a cluster with a single row kept its previous centre: only an empty cluster keeps its "
                   "centre; a cluster of one row moves its centre onto that row")
MAX_ITER_IGNORED = ("max_iter was ignored: the loop ran until no label changed; stop after max_iter rounds "
                    "even if labels still change")


def nearest(X, centers):
    return np.argmin(((X[:, None, :] - np.asarray(centers)[None]) ** 2).sum(-1), axis=1)


@same_for_every_student
def sklearn_lloyd(X, init, max_iter):
    """(centres, labels) of sklearn.cluster.KMeans (Lloyd, n_init=1, tol=0) from ``init``, read-only.
    Computed once per grader process: the class shares one seed, so every student's test draws
    the same data and starts."""
    km = KMeans(n_clusters=len(init), init=init, n_init=1, tol=0, algorithm="lloyd", max_iter=max_iter).fit(X)
    km.cluster_centers_.setflags(write=False)
    km.labels_.setflags(write=False)
    return km.cluster_centers_, km.labels_


@points(6)
def test_kmeans_matches_sklearn(student, rng):
    """kmeans with init_centers: the centres and labels of sklearn.cluster.KMeans (Lloyd, n_init=1, tol=0); an empty cluster keeps its centre"""
    for what, X, init, max_iter in kmeans_cases(rng):
        k = len(init)
        km_centers, km_labels = sklearn_lloyd(X, init, max_iter)
        got = student.kmeans(X, k, init_centers=init, max_iter=max_iter)
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"kmeans(...) should return (centers, labels), got {type(got).__name__}")
        centers, labels = got
        # With init_centers given, centre k starts at init_centers[k]: the order is fixed, so
        # centres and labels are compared by index (no relabelling).
        never_moved = init
        nearest_init = nearest(X, init)
        centre_mistakes = [Mistake(never_moved, "the centres never moved: after each assignment, move every "
                                                "centre to the mean of the rows assigned to it")]
        label_mistakes = [Mistake(nearest_init, "the labels are those of the starting centres: the centres were "
                                                "never updated")]
        counts = np.bincount(km_labels, minlength=k)
        kept = km_centers.copy()
        kept[counts == 1] = np.asarray(init)[counts == 1]
        if not np.allclose(kept, km_centers):
            centre_mistakes.append(Mistake(kept, ONE_MEMBER_KEPT))
        if max_iter < 300:
            unlimited = sklearn_lloyd(X, init, 300)[0]
            if not np.allclose(unlimited, km_centers):
                centre_mistakes.append(Mistake(unlimited, MAX_ITER_IGNORED))
            if max_iter > 1:
                before = sklearn_lloyd(X, init, max_iter - 1)[0]
                stale = nearest(X, before)
                if not np.array_equal(stale, km_labels):
                    label_mistakes.append(Mistake(stale, STALE_LABELS))
        expect_close(centers, km_centers, f"kmeans on {what}: the centres", rtol=1e-6, atol=1e-9,
                     mistakes=centre_mistakes)
        labels = expect_array(labels, f"kmeans on {what}: the labels", shape=(len(X),), kind="iu")
        expect_equal(labels, km_labels, f"kmeans on {what}: the labels", mistakes=label_mistakes)
        # the reference agrees too (it equals scikit-learn whenever no cluster empties)
        expect_close(centers, ref.kmeans(X, k, init_centers=init, max_iter=max_iter)[0],
                     f"kmeans on {what}: the centres")
    # a starting centre far from every row: its cluster is empty from the first round and, by the
    # spec's rule, keeps its centre (scikit-learn moves it instead, so the reference is the judge)
    init = np.vstack([start_rows(rng, FAITHFUL_STD, 2, 300), [[40.0, 40.0]]])
    what = "Old Faithful (standardised), K=3, one starting centre at (40, 40), far from every row"
    expected_centers, expected_labels = ref.kmeans(FAITHFUL_STD, 3, init_centers=init)
    got = student.kmeans(FAITHFUL_STD, 3, init_centers=init)
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"kmeans(...) should return (centers, labels), got {type(got).__name__}")
    centers = expect_array(got[0], f"kmeans on {what}: the centres", shape=(3, 2), finite=False)
    expect(np.all(np.isfinite(centers[2])), f"kmeans on {what}: centre 2 is {centers[2]}, and its cluster is "
           "empty" + ("\nLikely mistake: the mean of no rows is 0/0: an empty cluster keeps its previous centre"
                      if np.all(np.isnan(centers[2])) else ""))
    expect_close(centers, expected_centers, f"kmeans on {what}: the centres (centre 2's cluster is empty: it "
                                            "keeps its previous centre)", atol=1e-9)
    labels = expect_array(got[1], f"kmeans on {what}: the labels", shape=(len(FAITHFUL_STD),), kind="iu")
    expect_equal(labels, expected_labels, f"kmeans on {what}: the labels")


@points(4)
def test_kmeans_random_start(student, rng):
    """kmeans without init_centers: K centres, labels of the nearest centre, centres at the means, same int same result"""
    w, m, c = random_gmm(3, 2, separation=6.0, rng=rng)
    X, _ = sample_gmm(240, w, m, c, rng=rng)
    seed = int(rng.integers(2**31))
    for what, data, k in [("240 rows in 2-D, K=3", X, 3), ("a 1-D array of 240 values, K=2", X[:, 0], 2)]:
        got = student.kmeans(data, k, rng=seed)
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"kmeans(...) should return (centers, labels), got {type(got).__name__}")
        X2 = data.reshape(len(data), -1)
        centers = expect_array(got[0], f"kmeans on {what}: the centres", shape=(k, X2.shape[1]))
        labels = expect_array(got[1], f"kmeans on {what}: the labels", shape=(len(X2),), kind="iu")
        expect(labels.min() >= 0 and labels.max() < k,
               f"kmeans on {what}: labels must lie in 0..{k - 1}; got values from {labels.min()} to {labels.max()}")
        nearest = np.argmin(((X2[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)
        expect_equal(labels, nearest, f"kmeans on {what}: each label should be the index of the nearest "
                                      "returned centre")
        # Lloyd stops when no label changes, so every non-empty cluster's centre is the mean of its rows.
        for j in np.unique(labels):
            expect_close(centers[j], X2[labels == j].mean(axis=0),
                         f"kmeans on {what}: centre {j} should be the mean of the rows labelled {j}",
                         atol=1e-9)
        again = student.kmeans(data, k, rng=seed)
        expect_close(again[0], centers, f"kmeans on {what}: a second call with the same int rng "
                                        "should give the same centres", rtol=1e-12)
    # K = n_samples: the start is every row (K distinct rows), so every row is its own cluster.
    # k-means++ that never lowers its distances to the nearest centre chosen so far draws rows
    # already taken again (each seed: probability ≥ 0.96), leaving a row with no centre of its own.
    X6 = rng.normal(size=(6, 2)) * 3.0
    for seed in rng.integers(2**31, size=8):
        what = f"kmeans(X, 6, rng={int(seed)}) on 6 distinct rows in 2-D (K = n_samples)"
        centers, labels = check_valid_clustering(X6, 6, student.kmeans(X6, 6, rng=int(seed)), what)
        distinct = len(np.unique(centers.round(9), axis=0))
        # positive evidence: two centres exactly equal (distinct starting rows never give that; a row
        # drawn twice does, its second cluster empty and keeping the same centre)
        rows = len(np.unique(centers, axis=0)) < len(centers)
        expect(distinct == 6, f"{what}: {distinct} distinct centres, expected the 6 rows" + (
            "\nLikely mistake: the start drew a row twice; the K starting rows must be distinct (in k-means++, "
            "lower every row's squared distance to the nearest centre after each pick, so that rows already "
            "chosen have probability 0)" if rows else ""))
        expect_close(centers[np.lexsort(centers.T)], X6[np.lexsort(X6.T)],
                     f"{what}: the centres (sorted), which must be the 6 rows themselves", atol=1e-9)


def check_valid_clustering(X2, k, got, what):
    """(centers, labels) of a k-means result: shapes, labels of the nearest centre, centres at the means."""
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"kmeans(...) should return (centers, labels), got {type(got).__name__}")
    centers = expect_array(got[0], f"kmeans on {what}: the centres", shape=(k, X2.shape[1]))
    labels = expect_array(got[1], f"kmeans on {what}: the labels", shape=(len(X2),), kind="iu")
    expect(labels.min() >= 0 and labels.max() < k,
           f"kmeans on {what}: labels must lie in 0..{k - 1}; got values from {labels.min()} to {labels.max()}")
    d2 = ((X2[:, None, :] - centers[None]) ** 2).sum(-1)
    own = d2[np.arange(len(X2)), labels]
    expect(np.all(own <= d2.min(axis=1) * (1 + 1e-9) + 1e-12),
           f"kmeans on {what}: each label should be the index of the nearest returned centre")
    for j in np.unique(labels):
        expect_close(centers[j], X2[labels == j].mean(axis=0),
                     f"kmeans on {what}: centre {j} should be the mean of the rows labelled {j}", atol=1e-9)
    return centers, labels


@points(1)
def test_kmeans_duplicated_rows(student, rng):
    """kmeans without init_centers on data with duplicated rows, K up to the number of distinct rows: no error, a valid clustering"""
    # k-means++ picks each next centre with probability ∝ the squared distance to the nearest one:
    # once every distinct row is a centre all those distances are 0 (0/0 if divided naively).
    distinct = rng.normal(size=(int(rng.integers(4, 7)), 2)) * 3.0
    X = distinct[rng.integers(len(distinct), size=60)]
    X[:len(distinct)] = distinct  # every distinct row occurs
    X = X[rng.permutation(len(X))]
    for k in (2, len(distinct)):
        seed = int(rng.integers(2**31))
        what = (f"60 rows that take only {len(distinct)} distinct values, K={k}, rng={seed}")
        check_valid_clustering(X, k, student.kmeans(X, k, rng=seed), what)
