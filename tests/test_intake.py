"""Intake on its own (autograder.intake): what is read, what is refused, and why (fast)."""
import ast
import json
import os
import stat
import threading

import pytest

from autograder import intake, notebook_intake
from tests.conftest import ROOT
from tests.helpers import skip_reason

REFERENCE = ROOT / "solutions" / "mle" / "mle.py"


def _folder(tmp_path, **files):
    folder = tmp_path / "sub"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def _reasons(snap):
    return " | ".join(r.reason for r in snap.refused)


def test_a_plain_folder_gives_the_module_and_its_helpers(tmp_path):
    folder = _folder(tmp_path, **{"mle.py": "import helper\n", "helper.py": "X = 1\n",
                                  "test_mine.py": "def test(): pass\n", "notes.txt": "hi"})
    snap = intake.collect("mle", folder)
    assert snap.problem is None and not snap.refused
    assert [(f.name, f.role) for f in snap.files] == [("mle.py", "module"), ("helper.py", "helper")]
    paths = snap.write(tmp_path / "out" if (tmp_path / "out").mkdir() is None else None)
    assert [p.name for p in paths] == ["mle.py", "helper.py"]
    assert all(stat.S_ISREG(os.lstat(p).st_mode) for p in paths)
    assert paths[0].read_text() == "import helper\n"


def test_the_digest_follows_the_content_and_names_what_changed(tmp_path):
    folder = _folder(tmp_path, **{"mle.py": "A = 1\n", "helper.py": "X = 1\n"})
    first = intake.collect("mle", folder)
    assert intake.collect("mle", folder).digest == first.digest
    (folder / "helper.py").write_text("X = 2\n")
    second = intake.collect("mle", folder)
    assert second.digest != first.digest and second.changed_since(first) == ["helper.py"]


@pytest.mark.parametrize("kind", ["link_to_reference", "dangling", "fifo", "link_to_dev_zero"])
def test_a_module_that_is_not_a_regular_file_is_refused_by_name(tmp_path, kind):
    folder = _folder(tmp_path)
    module = folder / "mle.py"
    if kind == "fifo":
        os.mkfifo(module)
    else:
        module.symlink_to({"link_to_reference": REFERENCE, "dangling": tmp_path / "nowhere",
                           "link_to_dev_zero": "/dev/zero"}[kind])
    snap = _collect_without_blocking("mle", folder)
    assert snap.files == [] and snap.write(tmp_path) == []
    says = "mle.py is a FIFO" if kind == "fifo" else "mle.py is a symbolic link: submit the file itself"
    assert says in snap.problem and says in _reasons(snap)


def _collect_without_blocking(assignment, path):
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("snap", intake.collect(assignment, path)),
                              daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert "snap" in out, "intake blocked"
    return out["snap"]


@pytest.mark.skipif(os.geteuid() != 0, reason=skip_reason("not as root", "mknod needs root"))
def test_a_device_node_is_refused_without_being_opened(tmp_path):
    folder = _folder(tmp_path, **{"mle.py": "A = 1\n"})
    os.mknod(folder / "zero.py", 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    snap = _collect_without_blocking("mle", folder)
    assert [f.name for f in snap.files] == ["mle.py"]
    assert "zero.py is a device, not a regular file" in _reasons(snap)


def test_a_submission_given_as_a_link_is_refused(tmp_path):
    folder = _folder(tmp_path, **{"mle.py": "A = 1\n"})
    (tmp_path / "link").symlink_to(folder)
    (tmp_path / "mle.py").symlink_to(REFERENCE)
    for path in (tmp_path / "link", tmp_path / "mle.py"):
        snap = intake.collect("mle", path)
        assert snap.files == [] and "is a symbolic link" in snap.problem


def test_a_hard_link_is_refused(tmp_path):
    folder = _folder(tmp_path, **{"mle.py": "A = 1\n"})
    os.link(folder / "mle.py", tmp_path / "elsewhere.py")
    snap = intake.collect("mle", folder)
    assert snap.files == [] and "mle.py has other hard links" in snap.problem


def test_a_linked_folder_is_never_entered(tmp_path):
    folder = _folder(tmp_path)
    (folder / "sub").symlink_to(REFERENCE.parent)
    snap = intake.collect("mle", folder)
    assert snap.files == [] and "sub is a symbolic link" in snap.problem


def test_the_shallowest_readable_module_is_taken(tmp_path):
    folder = _folder(tmp_path)
    (folder / "deep" / "deeper").mkdir(parents=True)
    (folder / "deep" / "mle.py").write_text("SHALLOW = 1\n")
    (folder / "deep" / "deeper" / "mle.py").write_text("DEEP = 1\n")
    assert intake.collect("mle", folder).files[0].name == "deep/mle.py"
    (folder / "mle.py").symlink_to(REFERENCE)
    snap = intake.collect("mle", folder)
    assert snap.files[0].name == "deep/mle.py" and "mle.py is a symbolic link" in _reasons(snap)


def test_files_too_deep_are_not_looked_for(tmp_path):
    folder = _folder(tmp_path)
    deep = folder.joinpath(*[f"d{i}" for i in range(intake.MAX_DEPTH + 1)])
    deep.mkdir(parents=True)
    (deep / "mle.py").write_text("A = 1\n")
    snap = intake.collect("mle", folder)
    assert snap.files == [] and f"more than {intake.MAX_DEPTH} folders deep" in _reasons(snap)


def test_sizes_and_counts_are_capped(tmp_path):
    folder = _folder(tmp_path, **{"mle.py": "A = 1\n"})
    with open(folder / "big.py", "wb") as f:
        f.truncate(intake.MAX_SOURCE_BYTES + 1)
    for i in range(intake.MAX_PYTHON_FILES + 5):
        (folder / f"h{i:02d}.py").write_text("X = 1\n")
    (folder / "bad-name.py").write_text("X = 1\n")
    snap = intake.collect("mle", folder)
    assert len(snap.files) == intake.MAX_PYTHON_FILES
    reasons = _reasons(snap)
    assert "big.py is 1.0 MiB, more than the 1.0 MiB a file may have" in reasons
    assert f"at most {intake.MAX_PYTHON_FILES} Python files" in reasons
    assert "bad-name.py is not a name Python can import" in reasons


def test_a_folder_of_many_entries_is_looked_at_only_up_to_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_ENTRIES", 50)
    folder = _folder(tmp_path, **{"mle.py": "A = 1\n"})
    (folder / "junk").mkdir()
    for i in range(200):
        (folder / "junk" / f"f{i}").write_text("")
    snap = intake.collect("mle", folder)
    assert snap.files[0].name == "mle.py"
    assert "more than 50 files and folders; only the first were looked at" in _reasons(snap)


def test_a_single_file_is_renamed_to_the_module(tmp_path):
    (tmp_path / "my_work.py").write_text("A = 1\n")
    (tmp_path / "notes.txt").write_text("x")
    snap = intake.collect("mle", tmp_path / "my_work.py")
    out = tmp_path / "out"
    out.mkdir()
    assert [p.name for p in snap.write(out)] == ["mle.py"]
    assert "not a Python file" in intake.collect("mle", tmp_path / "notes.txt").problem


def test_names_shown_have_no_control_characters(tmp_path):
    folder = _folder(tmp_path, **{"mle.py": "A = 1\n", "\x1b[2J\r.py": "X = 1\n"})
    os.symlink(REFERENCE, os.fsencode(folder) + b"/bad\xff.py")
    reasons = _reasons(intake.collect("mle", folder))
    assert "\x1b" not in reasons and "\r" not in reasons and "\\x1b[2J\\x0d.py" in reasons
    reasons.encode("utf-8")  # no lone surrogate left


# ----------------------------------------------------------------------------
# notebooks


def _nb(*cells, **top):
    return json.dumps({"cells": [c if not isinstance(c, str) else
                                 {"cell_type": "code", "source": c} for c in cells], **top}).encode()


def test_pure_python_cells_are_kept_as_they_are():
    src = "x = 10 % 3\ns = '''\n%not a magic\n!nor this\n'''\n"
    assert notebook_intake.cell_code(src) == src


def test_ipython_lines_become_no_ops_with_valid_indentation():
    src = ("%matplotlib inline\nimport os\nfiles = !ls\na, b = !ls\nx = %time 1 + 1\n"
           "def f():\n    %timeit g()\n    s = \"\"\"\n%inside a string\n\"\"\"\n    return s\n"
           "!echo hi\ny = (10\n%3)\n")
    code = notebook_intake.cell_code(src)
    lines = code.splitlines()
    assert len(lines) == len(src.splitlines())
    assert lines[0].startswith("pass  #") and lines[2].startswith("files = []")
    assert lines[3].startswith("a = b = None") and lines[4].startswith("x = None")
    assert lines[6].startswith("    pass  #") and lines[8] == "%inside a string"
    assert lines[13] == "%3)"  # inside brackets: Python's modulo, left alone
    ast.parse(code)


def test_a_cell_magic_drops_its_cell_whole():
    assert notebook_intake.cell_code("\n%%bash\nrm -rf /\n") is None
    module, notes = notebook_intake.notebook_module(_nb("%%bash\nexit 1", "A = 1"), "mle.ipynb")
    assert "A = 1" in module and "exit 1" not in module and "cell 1 of mle.ipynb is a cell magic" in notes[0]


def test_display_is_defined_and_the_module_compiles():
    module, _ = notebook_intake.notebook_module(_nb("display(1)\n%matplotlib inline"), "nb")
    ns = {}
    exec(compile(module, "nb", "exec"), ns)  # the kit's own text: a prelude and a no-op
    assert callable(ns["display"])


@pytest.mark.parametrize("data, says", [
    (b"\xff\xfe{}", "is not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"cells": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", "nested too deeply"),
    (b"[]", "no list of cells"),
    (b'{"cells": {"a": 1}}', "no list of cells"),
    (b"not json", "invalid JSON"),
])
def test_a_malformed_notebook_gives_a_clear_message(data, says):
    with pytest.raises(notebook_intake.NotebookError, match=says):
        notebook_intake.notebook_module(data, "mle.ipynb")


def test_cells_that_cannot_be_read_are_skipped_and_named():
    data = _nb("A = 1", {"cell_type": "code", "source": [1, 2]}, 7, "x",
               {"cell_type": "code", "source": {"k": "v"}})
    module, notes = notebook_intake.notebook_module(data, "mle.ipynb")
    assert "A = 1" in module and "cells 2, 3, 5 of mle.ipynb could not be read" in notes[-1]


def test_a_notebook_in_a_folder_is_read_with_the_same_rules(tmp_path):
    folder = _folder(tmp_path)
    (folder / "mle.ipynb").symlink_to(REFERENCE)
    (folder / "other.ipynb").write_bytes(_nb("A = 1"))
    snap = intake.collect("mle", folder)  # the only readable notebook is graded
    assert snap.module.name == "other.ipynb" and "mle.ipynb is a symbolic link" in _reasons(snap)
    out = tmp_path / "out"
    out.mkdir()
    assert "A = 1" in snap.write(out)[0].read_text()
    with open(folder / "mle2.ipynb", "wb") as f:
        f.truncate(intake.MAX_NOTEBOOK_BYTES + 1)
    (folder / "other.ipynb").unlink()
    os.rename(folder / "mle2.ipynb", folder / "other.ipynb")
    assert "more than the 5.0 MiB" in intake.collect("mle", folder).problem


# ----------------------------------------------------------------------------
# notebook intake in linear time (issue 19 §5)


def _magic_cell(size, magics=50):
    """A cell of about ``size`` bytes: ``magics`` IPython lines around one long bracketed statement
    (so a magic line is found only where a logical line starts)."""
    body = "x = (1,\n" + "  2,\n" * (size // 5) + ")\n"
    half = magics // 2
    return ("%matplotlib inline\n" * half + body + "def f():\n" + "    %time f\n" * (magics - half)
            + "    return x\n")


def _counting_tokenize(monkeypatch, limit):
    """Count tokenize passes; fail at once past ``limit`` (the old rewriting made one per magic line)."""
    passes = []
    real = notebook_intake.tokenize.generate_tokens

    def counted(readline):
        passes.append(1)
        if len(passes) > limit:
            raise AssertionError(f"more than {limit} tokenize passes over one cell")
        return real(readline)

    monkeypatch.setattr(notebook_intake.tokenize, "generate_tokens", counted)
    return passes


def test_a_cell_of_many_magics_is_rewritten_in_a_fixed_number_of_tokenize_passes(monkeypatch):
    """50 magic lines around 0.9 MiB of code: every one rewritten, with two tokenize passes over
    the cell (one deciding, one checking), not one per magic line over the prefix before it."""
    passes = _counting_tokenize(monkeypatch, limit=2)
    source = _magic_cell(900_000)
    module, _ = notebook_intake.notebook_module(_nb(source), "mle.ipynb")
    assert len(passes) == 2
    assert module.count("# IPython only, not run:") == 50
    ast.parse(module)
    small = _magic_cell(1_000)   # the same pass count for a small cell: linear in the size
    passes.clear()
    notebook_intake.notebook_module(_nb(small), "mle.ipynb")
    assert len(passes) == 2


def test_a_notebook_with_too_much_code_is_refused_by_name_before_any_rewriting(monkeypatch):
    """The 1.4 MiB cell of 50 magic lines is over the code cap: refused, by name, and not one
    tokenize pass is spent on it first."""
    passes = _counting_tokenize(monkeypatch, limit=0)
    with pytest.raises(notebook_intake.NotebookError, match=r"code cells of mle\.ipynb hold more than 1\.0 MiB"):
        notebook_intake.notebook_module(_nb(_magic_cell(1_400_000)), "mle.ipynb")
    assert passes == []
    # a cell magic is dropped whole, so its size does not count
    module, notes = notebook_intake.notebook_module(_nb("%%bash\n" + "#" * (1 << 20), "A = 1"), "mle.ipynb")
    assert "A = 1" in module and "cell magic" in notes[0]
