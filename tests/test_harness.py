"""The checks hidden tests use: conversions, tolerances, messages."""
import numpy as np
import pytest

from autograder.harness import (GradingFailure, Mistake, expect_array, expect_close, expect_equal,
                                expect_history, expect_scalar, follows_history, match_components, points)


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


def test_the_tolerance_stated_is_the_one_used():
    with pytest.raises(GradingFailure, match=r"tolerance: absolute 1e-08\)") as err:
        expect_close(1.0, 2.0, "x", rtol=0, atol=1e-8)
    assert "relative" not in str(err.value)
    with pytest.raises(GradingFailure, match=r"tolerance: relative 1e-06 and absolute 1e-12\)"):
        expect_close(1.0, 2.0, "x")
    with pytest.raises(GradingFailure, match=r"tolerance: relative 0.001\)"):
        expect_close(1.0, 2.0, "x", rtol=1e-3, atol=0)


def test_a_history_says_where_it_first_diverges():
    expected = [-10.0, -5.0, -4.0, -3.9]
    expect_history([-10.0, -5.0, -4.0, -3.9 + 1e-9], expected)
    with pytest.raises(GradingFailure, match=r"first differs at iteration 1: expected -5, got -6"):
        expect_history([-10.0, -6.0, -4.0, -3.9], expected)
    with pytest.raises(GradingFailure, match=r"first differs at iteration 2: expected -5"):
        expect_history([-10.0, -6.0, -4.0, -3.9], expected, start=1)
    with pytest.raises(GradingFailure, match=r"stopped 1 iteration\(s\) early") as err:
        expect_history(expected[:3], expected, mistakes=[Mistake(expected[:3], "stops early")])
    assert "Likely mistake: stops early" in str(err.value)
    with pytest.raises(GradingFailure, match=r"1 iteration\(s\) too many"):
        expect_history(expected + [-3.89], expected)
    with pytest.raises(GradingFailure, match=r"expected shape"):
        expect_history([expected], expected)


def test_a_history_follows_a_trajectory_only_on_its_path():
    full = [-10.0, -5.0, -4.0, -3.9]
    assert follows_history([-10.0, -5.0 + 1e-9], full)       # a prefix, within expect_history's rtol
    assert follows_history(full, full)
    assert not follows_history([-10.0, -6.0], full)          # another path
    assert not follows_history(full + [-3.89], full)          # longer than the trajectory
    assert not follows_history([], full)
    assert not follows_history([[-10.0]], full)
    assert not follows_history(["a"], full) and not follows_history(None, full)


def test_points_takes_dependencies_and_no_warnings_switch():
    mark = points(2, depends=("test_a", "test_b"))
    assert mark.kwargs["depends"] == (("test_a", None), ("test_b", None))
    assert points(2, depends={"test_a": "fit runs your m_step"}).kwargs["depends"] == (
        ("test_a", "fit runs your m_step"),)
    with pytest.raises(ValueError):
        points(2, depends=("a",))
    with pytest.raises(TypeError):
        points(2, warnings="error")


FAKE_TESTS = '''
"""fake, part 1: made up (6 points)."""
import numpy as np
from autograder.harness import Mistake, expect_close, points


@points(1, depends={"test_z_base": "late_user runs your base"})
def test_a_late_user(student):
    """late_user, which builds on base (tested after it, alphabetically later module order)"""
    expect_close(student.late_user(), 2.0, "late_user()",
                 mistakes=[Mistake(1.0, "late_user halves its result")])


@points(0.5, depends=("test_z_base",))
def test_c_unwritten_user(student):
    """a test of a function not written yet, which builds on base"""
    expect_close(student.unwritten(), 1.0, "unwritten()")


@points(1, depends=("test_z_base",))
def test_b_passing_user(student):
    """a test that passes although base fails"""
    expect_close(student.independent(), 1.0, "independent()")


@points(2)
def test_warns(student):
    """a test whose call warns but whose value is right"""
    expect_close(student.warns(), -np.inf, "warns()")


@points(2)
def test_z_base(student):
    """base"""
    expect_close(student.base(), 1.0, "base()", mistakes=[])
'''

FAKE_SUBMISSION = '''
import numpy as np

def base():
    return 0.5

def late_user():
    return 2 * base()

def independent():
    return 1.0

def warns():
    return float(np.log(np.zeros(1))[0])

def unwritten():
    raise NotImplementedError
'''


def test_dependencies_lead_with_the_cause_and_warnings_only_add_a_note(tmp_path):
    from autograder.engine import grade

    (tmp_path / "tests" / "fake").mkdir(parents=True)
    (tmp_path / "tests" / "fake" / "test_part.py").write_text(FAKE_TESTS)
    (tmp_path / "fake.py").write_text(FAKE_SUBMISSION)
    report = grade("fake", tmp_path / "fake.py", seed=1, tests_root=tmp_path / "tests")
    by = {t.id: t for t in report.tests}
    assert report.score == 3 and report.max_score == 6.5
    late = by["test_a_late_user"].output.splitlines()
    assert late[0] == "late_user runs your base: that part fails its own test (base(): expected 1, got 0.5 " \
                      "(tolerance: relative 1e-06 and absolute 1e-12)): fix that first."
    assert late[1].startswith("late_user(): expected 2, got 1")
    # a guess downstream of a failed dependency is a possibility, never a counted "Likely mistake"
    assert "Likely mistake" not in by["test_a_late_user"].output
    assert ("Possibly (the failing part above may be the whole cause): late_user halves its result"
            in by["test_a_late_user"].output)
    # an unwritten function is its own cause: no "fix that first" preamble
    unwritten = by["test_c_unwritten_user"].output
    assert "not implemented yet" in unwritten and "fix that first" not in unwritten, unwritten
    assert by["test_b_passing_user"].output == "" and by["test_b_passing_user"].score == 1
    assert by["test_z_base"].output.startswith("base(): expected 1, got 0.5")
    warned = by["test_warns"]
    assert warned.score == 2
    assert warned.output.startswith("Note (costs no points): your code emitted RuntimeWarning: divide by zero")
    assert "(fake.py, line " in warned.output and "values were graded, not warnings" in warned.output


def test_the_log_space_hint_only_where_the_value_is_a_log_quantity():
    """A NaN in k-means' centres (an empty cluster's mean) is no log-space problem; a -inf in
    a log-density is."""
    with pytest.raises(GradingFailure) as centres:
        expect_array([[0.0, np.nan]], "kmeans(X, 2) centres")
    assert "should be finite" in str(centres.value) and "log-sum-exp" not in str(centres.value)
    with pytest.raises(GradingFailure) as logpdf:
        expect_array([-np.inf, -1.0], "gaussian_kde_logpdf(X_train, X_query, h)")
    assert "log-sum-exp keeps it so" in str(logpdf.value)


def test_failures_are_not_drawn_as_pytest_tracebacks_the_grader_never_shows(tmp_path, monkeypatch):
    """The engine writes its own message for each failed test; pytest's long traceback (which parses
    the source of every file it passes through, with ``ast``) is never read. Drawing it cost a
    submission with a syntax error 24 s of CPU (27 failed tests; 2 s without) -- so none is drawn."""
    import importlib

    from autograder.engine import grade
    from samples.submissions import reference_source

    code = importlib.import_module("_pytest._code.code")
    drawn = []
    original = code.ExceptionInfoFormatter.repr_traceback_entry
    monkeypatch.setattr(code.ExceptionInfoFormatter, "repr_traceback_entry",
                        lambda self, *a, **k: drawn.append(1) or original(self, *a, **k))
    (tmp_path / "mle.py").write_text(reference_source("mle").replace("def gaussian_mle(", "def gaussian_mle((", 1))
    report = grade("mle", tmp_path / "mle.py", seed=1)
    assert report.score == 0 and {t.failure for t in report.tests} == {"syntax"}, report.tests[0]
    assert drawn == []


def test_a_carried_composition_keeps_a_bounded_record_of_the_calls_it_checks():
    """Carrying forward records the student's functions as the reference's loop calls them; a loop of
    max_iter rounds once kept a copy of every round's arrays in the grader (5 GB for bmm's
    no-smoothing mistake on 600 MNIST images). The first calls and the latest are kept; what the
    checks need of the others (how many, whether the loop stood still, whether one returned its own
    input) is kept as the calls come."""
    from autograder import carry

    x = np.arange(1000.0)
    moving = carry._Recorded("f", lambda a, i: a * 2 + i)
    for i in range(500):
        moving(x, float(i))
    assert moving.count == 500 and len(moving.calls) == carry.KEPT_CALLS + 1
    assert moving.calls[-1][1] == {} and moving.calls[-1][0][1] == 499.0  # the latest call is last
    assert not carry._stood_still(moving) and not moving.echoed

    still = carry._Recorded("g", lambda a: a * 2)
    for _ in range(100):
        still(x)
    assert carry._stood_still(still) and len(still.calls) == carry.KEPT_CALLS + 1

    late = carry._Recorded("h", lambda a, i: a if i == 400 else a + 1)  # echoes its input once, late
    for i in range(500):
        late(x if i < 300 else x + 1, float(i))
    assert late.echoed and not carry._stood_still(late)  # inputs moved after the kept calls
