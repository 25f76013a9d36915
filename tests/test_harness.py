"""The checks hidden tests use: conversions, tolerances, messages."""
import numpy as np
import pytest

from autograder.harness import (GradingFailure, Mistake, expect_array, expect_close, expect_equal,
                                expect_scalar, match_components)


def test_containers_that_hold_the_right_numbers_pass():
    expect_close([1.0, 2.0], np.array([1.0, 2.0]), "x")
    expect_close((3,), 3.0, "x")           # a one-element container for a scalar
    expect_close(np.array(2.0), 2.0, "x")
    assert expect_scalar(np.array([4.5]), "x") == 4.5


@pytest.mark.parametrize("got, expected", [(0.0, -np.inf), (-1e300, -np.inf), (np.inf, -np.inf),
                                           (np.nan, 1.0), (1.0, np.nan)])
def test_infinite_or_nan_expectations_need_the_very_same_value(got, expected):
    with pytest.raises(GradingFailure):
        expect_close(got, expected, "x")


def test_infinities_match_themselves():
    expect_close([-np.inf, 1.0], [-np.inf, 1.0 + 1e-9], "x")


def test_the_message_names_shape_first_mismatch_and_likely_mistake():
    with pytest.raises(GradingFailure, match=r"expected shape \(3,\), got shape \(3, 1\)"):
        expect_close(np.zeros((3, 1)), np.zeros(3), "v")
    with pytest.raises(GradingFailure) as err:
        expect_close([1.0, 2.5, 3.5], [1.0, 2.0, 3.0], "v", mistakes=[
            Mistake([1.0, 2.5, 3.5], "added a half"), Mistake([0, 0, 0], "returned zeros")])
    text = str(err.value)
    assert "2 of 3 entries differ" in text and "index (1,)" in text and "expected 2, got 2.5" in text
    assert "Likely mistake: added a half" in text and "zeros" not in text


def test_nan_is_pointed_out():
    with pytest.raises(GradingFailure, match="NaN"):
        expect_close([np.nan], [1.0], "v")
    with pytest.raises(GradingFailure, match="Likely mistake: nan hint"):
        expect_close(np.nan, 0.0, "v", mistakes=[Mistake(np.nan, "nan hint")])


def test_arrays_labels_and_components():
    with pytest.raises(GradingFailure, match="every entry should be finite"):
        expect_array([1.0, np.inf], "a", shape=(2,))
    assert expect_array([1.0, 2.0], "labels", kind="iu").dtype.kind == "i"
    expect_equal(["a", "b"], np.array(["a", "b"]), "labels")
    with pytest.raises(GradingFailure, match="first at index"):
        expect_equal([0, 1, 1], [0, 1, 2], "labels")
    perm = match_components([[0.0, 0.0], [5.0, 5.0]], [[5.1, 4.9], [0.1, -0.1]])
    assert list(perm) == [1, 0]
