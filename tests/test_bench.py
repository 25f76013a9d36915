"""The latency bench's own sanity check (bench/bench_grading.py): its measuring function runs and
returns ratios to the floor, measured in the same run. Never timed: no wall-clock assertion."""
import math
import sys

from bench.bench_grading import COLD_GOAL, FLOOR, WARM_GOAL, ratios_to_floor


def test_ratios_to_floor_of_trivial_commands():
    trivial = [sys.executable, "-c", "pass"]
    out = ratios_to_floor({"a": trivial, "b": [sys.executable, "-c", "import json"]}, floor=trivial, repeat=2)
    assert set(out) == {"floor", "a", "b"}
    assert len(out["floor"]["runs"]) == 2 and out["floor"]["median"] > 0
    for name in ("a", "b"):
        assert len(out[name]["runs"]) == len(out[name]["ratios"]) == 2
        assert out[name]["median"] > 0 and math.isfinite(out[name]["ratio"]) and out[name]["ratio"] > 0
        # each ratio is the command's run over the same round's floor
        assert all(math.isclose(r, t / f) for r, t, f in zip(out[name]["ratios"], out[name]["runs"],
                                                              out["floor"]["runs"]))


def test_a_failing_command_is_an_error_not_a_figure():
    try:
        ratios_to_floor({"fails": [sys.executable, "-c", "raise SystemExit(3)"]},
                        floor=[sys.executable, "-c", "pass"], repeat=1)
    except RuntimeError as exc:
        assert "exited 3" in str(exc)
    else:
        raise AssertionError("a command that fails must not give a ratio")


def test_the_floor_and_the_goals():
    assert FLOOR[1:] == ["-c", "import numpy, scipy, sklearn, pytest"]
    assert set(COLD_GOAL) == set(WARM_GOAL) == {"mle", "kde", "gmm", "bmm"}
