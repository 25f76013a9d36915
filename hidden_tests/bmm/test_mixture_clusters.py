"""bmm, part 5: cluster accuracy (5 points)."""
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics.cluster import contingency_matrix

from autograder.harness import Mistake, expect_close, points


def majority_accuracy(y_true, clusters):
    """Σ over clusters of the count of its most frequent label, / n (from scikit-learn's contingency table)."""
    table = contingency_matrix(y_true, clusters)  # rows: labels, columns: clusters
    return table.max(axis=0).sum() / len(y_true)


def mistakes_for(y_true, clusters):
    table = contingency_matrix(y_true, clusters)
    rows, cols = linear_sum_assignment(-table)
    n = len(y_true)
    return [
        Mistake(np.mean(np.asarray(y_true) == np.asarray(clusters)),
                "the cluster ids were compared with the labels directly (cluster accuracy by cluster id); "
                "map every cluster to the most frequent true label among its members first"),
        Mistake(table.max(axis=1).sum() / n,
                "each label was mapped to its most frequent cluster; map each cluster to its most frequent label"),
        Mistake(table[rows, cols].sum() / n,
                "clusters were matched one-to-one with labels; several clusters may share a majority label"),
        Mistake(table.max(axis=0).sum(), "returned the number of correctly labelled samples; divide by n"),
    ]


@points(5)
def test_cluster_accuracy(student, rng):
    """cluster_accuracy: every cluster named by its majority label, fraction of samples named right"""
    n = 600
    y_random = rng.integers(0, 10, size=n)
    # a clustering that mostly follows the labels, with ids unrelated to them, plus noise
    ids = rng.permutation(np.arange(20, 35))
    clusters_random = np.where(rng.random(n) < 0.7, ids[y_random], rng.choice(ids, size=n))
    cases = [
        ("a perfect clustering with other ids", [0, 0, 0, 1, 1, 1, 2, 2, 2], [7, 7, 7, 3, 3, 3, 5, 5, 5]),
        ("two impure clusters", [1, 1, 2, 2, 2, 3], [0, 0, 0, 1, 1, 1]),
        ("two clusters sharing a majority label", [0, 0, 0, 0, 1, 1], [0, 0, 1, 1, 2, 2]),
        ("one cluster", [3, 3, 3, 8, 8], [1, 1, 1, 1, 1]),
        ("every sample its own cluster", [4, 2, 4, 9], [0, 1, 2, 3]),
        (f"{n} random labels and a noisy clustering of 15 clusters", y_random, clusters_random),
    ]
    for name, y_true, clusters in cases:
        y_true, clusters = np.asarray(y_true), np.asarray(clusters)
        got = student.cluster_accuracy(y_true, clusters)
        expect_close(got, majority_accuracy(y_true, clusters), f"cluster_accuracy(y_true, clusters) on {name}",
                     mistakes=mistakes_for(y_true, clusters))
