"""The Gradescope zip and the GitHub Classroom output wrap the same engine."""
import base64
import json
import os
import stat
import subprocess
import zipfile

from frontdoors.classroom.output import classroom_output
from frontdoors.gradescope.build import gradescope_zip
from tests.conftest import ROOT
from tests.submissions import apply, catalogue, write


def test_gradescope_zip_grades_an_upload_like_gradescope_does(tmp_path):
    archive = gradescope_zip("mle", tmp_path / "mle.zip")
    home = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert {"setup.sh", "run_autograder", "ASSIGNMENT"} <= set(names)
        assert not any(n.startswith(("tests/", "assignments/", "solutions/kde")) for n in names)
        assert stat.S_IMODE(zf.getinfo("run_autograder").external_attr >> 16) & 0o111
        zf.extractall(home / "source")
    (home / "source" / ".venv").symlink_to(ROOT / ".venv")  # what setup.sh builds on Gradescope
    bug = next(b for b in catalogue("mle") if b.name == "variance_divided_by_n_minus_1")
    write(home / "submission" / "upload", "mle", apply("mle", bug))
    proc = subprocess.run(["bash", str(home / "source" / "run_autograder")], capture_output=True, text=True,
                          env={**os.environ, "AUTOGRADER_HOME": str(home)}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((home / "results" / "results.json").read_text())
    assert results["score"] == 90
    assert any("divided by n−1" in t["output"] for t in results["tests"])


def test_classroom_output_is_the_reporter_format():
    results = {"score": 6, "tests": [
        {"name": "a (6 pts)", "score": 6, "max_score": 6, "output": ""},
        {"name": "b (4 pts)", "score": 0, "max_score": 4, "output": "expected 1, got 2"}]}
    line = classroom_output(results)
    assert line.startswith("result=")
    payload = json.loads(base64.b64decode(line.removeprefix("result=")))
    assert payload["max_score"] == 10 and payload["status"] == "fail"
    assert [t["status"] for t in payload["tests"]] == ["pass", "fail"]
    assert sum(t["score"] for t in payload["tests"]) == 6
    assert payload["tests"][1]["message"] == "expected 1, got 2"
