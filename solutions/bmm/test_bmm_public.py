"""Public sanity checks for bmm.py.

Run from this folder:   python -m pytest -q test_bmm_public.py

They check shapes, normalisation and tiny examples you can work out by hand.
Passing them does not mean your code is right: the autograder's hidden tests
compare your results with a reference on real MNIST images.
"""
import math

import numpy as np
import pytest

import bmm


def tiny_binary_data(n=40, d=6, seed=0):
    """n binary rows of d pixels: two clear groups (left half on / right half on)."""
    rng = np.random.default_rng(seed)
    group = np.arange(n) % 2
    probs = np.where(np.arange(d) < d // 2, 0.9, 0.1)
    probs = np.where(group[:, None] == 0, probs, 1.0 - probs)
    return (rng.random((n, d)) < probs).astype(float), group


# --- binarize ---------------------------------------------------------------
def test_binarize_uint8_is_divided_by_255():
    # 127/255 = 0.498 -> 0 ; 128/255 = 0.502 -> 1 ; 0 -> 0 ; 255 -> 1
    images = np.array([[0, 127, 128, 255]], dtype=np.uint8)
    X = np.asarray(bmm.binarize(images))
    assert X.shape == (1, 4)
    np.testing.assert_array_equal(X, [[0, 0, 1, 1]])


def test_binarize_float_uses_strict_threshold():
    # floats are compared as given; a pixel equal to the threshold is 0 (strictly greater)
    X = np.asarray(bmm.binarize(np.array([[0.2, 0.5, 0.7]]), threshold=0.5))
    np.testing.assert_array_equal(X, [[0, 0, 1]])


def test_binarize_flattens_28x28_images():
    # (n, 28, 28) -> (n, 784), row by row, values 0/1 only
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[1, 0, 1] = 200          # row 0, column 1 of image 1 -> pixel 1
    X = np.asarray(bmm.binarize(images))
    assert X.shape == (3, 784)
    assert set(np.unique(X)) <= {0, 1}
    assert X[1, 1] == 1 and X.sum() == 1


# --- bernoulli_log_prob -----------------------------------------------------
def test_bernoulli_log_prob_hand_example():
    # x = (1, 0): component 0 with p = (0.5, 0.5) -> log(0.5 * 0.5);
    #             component 1 with p = (0.9, 0.2) -> log(0.9 * 0.8)
    X = np.array([[1.0, 0.0]])
    probs = np.array([[0.5, 0.5], [0.9, 0.2]])
    got = np.asarray(bmm.bernoulli_log_prob(X, probs))
    assert got.shape == (1, 2)
    np.testing.assert_allclose(got, [[math.log(0.25), math.log(0.72)]], rtol=1e-12)


def test_bernoulli_log_prob_shape_and_sign():
    # shape (n_samples, n_components); probabilities <= 1 so every log-probability <= 0
    X, _ = tiny_binary_data()
    probs = np.random.default_rng(1).uniform(0.05, 0.95, size=(3, X.shape[1]))
    got = np.asarray(bmm.bernoulli_log_prob(X, probs))
    assert got.shape == (X.shape[0], 3)
    assert np.all(np.isfinite(got)) and np.all(got <= 0)


# --- E-step -----------------------------------------------------------------
def test_e_step_rows_sum_to_one():
    # responsibilities: shape (n, K), each row a probability vector; log-likelihood a finite float
    X, _ = tiny_binary_data()
    probs = np.random.default_rng(2).uniform(0.25, 0.75, size=(3, X.shape[1]))
    resp, log_likelihood = bmm.bmm_e_step(X, np.array([0.2, 0.3, 0.5]), probs)
    resp = np.asarray(resp)
    assert resp.shape == (X.shape[0], 3)
    assert np.all(resp >= 0)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-10)
    assert np.isfinite(float(log_likelihood))


def test_e_step_identical_components_give_the_weights():
    # two identical components: the responsibilities equal the weights for every sample,
    # and the log-likelihood is that of one component: n * D * log(0.5) for probs 0.5
    X, _ = tiny_binary_data(n=10, d=4)
    probs = np.full((2, 4), 0.5)
    resp, log_likelihood = bmm.bmm_e_step(X, np.array([0.3, 0.7]), probs)
    np.testing.assert_allclose(np.asarray(resp), np.tile([0.3, 0.7], (10, 1)), rtol=1e-10)
    np.testing.assert_allclose(float(log_likelihood), 10 * 4 * math.log(0.5), rtol=1e-10)


def test_e_step_component_of_weight_zero_gives_no_nan():
    # a component of weight 0 gets responsibility 0, not NaN (work in log space)
    X, _ = tiny_binary_data()
    probs = np.random.default_rng(3).uniform(0.25, 0.75, size=(2, X.shape[1]))
    resp, log_likelihood = bmm.bmm_e_step(X, np.array([1.0, 0.0]), probs)
    resp = np.asarray(resp)
    assert np.all(np.isfinite(resp)) and np.isfinite(float(log_likelihood))
    np.testing.assert_allclose(resp[:, 1], 0.0, atol=1e-12)


# --- M-step -----------------------------------------------------------------
def test_m_step_hand_example():
    # one component (resp all 1) on 4 samples: p_d = (count of ones + alpha) / (4 + 2 alpha)
    X = np.array([[1, 0], [1, 0], [1, 1], [0, 0]], dtype=float)
    weights, probs = bmm.bmm_m_step(X, np.ones((4, 1)), alpha=1.0)
    np.testing.assert_allclose(np.asarray(weights), [1.0])
    np.testing.assert_allclose(np.asarray(probs), [[(3 + 1) / 6, (1 + 1) / 6]], rtol=1e-12)


def test_m_step_weights_sum_to_one_and_probs_inside_01():
    # weights (K,) summing to 1; probs (K, D) strictly inside (0, 1) thanks to alpha > 0
    X, _ = tiny_binary_data()
    resp = np.random.default_rng(4).random((X.shape[0], 3))
    resp /= resp.sum(axis=1, keepdims=True)
    weights, probs = bmm.bmm_m_step(X, resp, alpha=1.0)
    weights, probs = np.asarray(weights), np.asarray(probs)
    assert weights.shape == (3,) and probs.shape == (3, X.shape[1])
    np.testing.assert_allclose(weights.sum(), 1.0, rtol=1e-12)
    assert np.all(probs > 0) and np.all(probs < 1)


# --- cluster_accuracy -------------------------------------------------------
def test_cluster_accuracy_hand_example():
    # cluster 5 = {0, 0, 1} -> named 0 (2 right); cluster 7 = {1} -> named 1 (1 right): 3 / 4
    acc = bmm.cluster_accuracy([0, 0, 1, 1], [5, 5, 5, 7])
    assert math.isclose(float(acc), 0.75)


# --- BernoulliMixture -------------------------------------------------------
def test_mixture_fit_attributes():
    # fit returns self; weights sum to 1; probs inside (0, 1); one history entry per iteration
    X, _ = tiny_binary_data()
    model = bmm.BernoulliMixture(n_components=2, random_state=0)
    assert model.fit(X) is model
    assert np.asarray(model.weights_).shape == (2,)
    np.testing.assert_allclose(np.sum(model.weights_), 1.0, rtol=1e-10)
    probs = np.asarray(model.probs_)
    assert probs.shape == (2, X.shape[1]) and np.all((probs > 0) & (probs < 1))
    assert len(model.log_likelihood_history_) == model.n_iter_ >= 1
    resp = np.asarray(model.predict_proba(X))
    assert resp.shape == (X.shape[0], 2)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-10)
    assert np.asarray(model.score_samples(X)).shape == (X.shape[0],)


def test_mixture_sample_shapes():
    # sample(n) -> (X (n, D) of 0/1, z (n,) component indices)
    X, _ = tiny_binary_data()
    model = bmm.BernoulliMixture(n_components=2, random_state=0).fit(X)
    Xs, z = model.sample(7)
    Xs, z = np.asarray(Xs), np.asarray(z)
    assert Xs.shape == (7, X.shape[1]) and z.shape == (7,)
    assert set(np.unique(Xs)) <= {0, 1}
    assert set(np.unique(z)) <= {0, 1}


# --- BernoulliMixtureClassifier --------------------------------------------
def test_classifier_fit_predict_shapes():
    # labels come back from classes_ (here strings); predict_proba rows sum to 1
    X, group = tiny_binary_data()
    y = np.array(["left", "right"])[group]
    clf = bmm.BernoulliMixtureClassifier(n_components=2, random_state=0).fit(X, y)
    assert list(clf.classes_) == ["left", "right"]
    assert len(clf.mixtures_) == 2
    proba = np.asarray(clf.predict_proba(X))
    assert proba.shape == (X.shape[0], 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-10)
    pred = np.asarray(clf.predict(X))
    assert pred.shape == (X.shape[0],) and set(pred) <= {"left", "right"}
    assert 0.0 <= float(clf.score(X, y)) <= 1.0
    images = np.asarray(clf.sample(3, "right"))
    assert images.shape == (3, X.shape[1]) and set(np.unique(images)) <= {0, 1}
