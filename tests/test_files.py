"""The kit's file rules (autograder/files.py), tested once, here.

Writing whole or not at all; reading only a regular file, under a cap, never
through a link and never blocking; digesting a folder without following links.
"""
from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import threading

import pytest

from autograder import files
from autograder.paths import ROOT

MiB = 1 << 20


def _returns_quickly(fn, seconds=10):
    """Run ``fn`` in a thread; its outcome (result or exception) if it ended within ``seconds``."""
    box = {}

    def run():
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{fn} blocked for more than {seconds} s"
    return box


# ----------------------------------------------------------------------------
# reading


def test_a_regular_file_is_read(tmp_path):
    (tmp_path / "mle.py").write_bytes(b"x = 1\n")
    assert files.read_regular(tmp_path / "mle.py", 100) == b"x = 1\n"
    assert files.sha256_regular(tmp_path / "mle.py", 100) == hashlib.sha256(b"x = 1\n").hexdigest()
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:  # relative to a folder's descriptor, as the intake reads
        assert files.read_regular("mle.py", 100, dir_fd=fd, display="sub/mle.py") == b"x = 1\n"
    finally:
        os.close(fd)


def test_a_link_is_refused_and_its_target_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the reference")
    (tmp_path / "mle.py").symlink_to(secret)
    with pytest.raises(files.NotRead) as info:
        files.read_regular(tmp_path / "mle.py", MiB, display="mle.py")
    assert str(info.value) == "mle.py is a symbolic link: submit the file itself, not a link to it"
    assert info.value.short == "a symbolic link"
    with pytest.raises(files.NotRead, match="symbolic link"):
        files.sha256_regular(tmp_path / "mle.py", MiB)


def test_a_fifo_does_not_block(tmp_path):
    os.mkfifo(tmp_path / "mle.py")
    (tmp_path / "link.py").symlink_to(tmp_path / "mle.py")
    for name in ("mle.py", "link.py"):
        box = _returns_quickly(lambda n=name: files.read_regular(tmp_path / n, MiB, display=n))
        assert isinstance(box.get("error"), files.NotRead), box
    box = _returns_quickly(lambda: files.read_regular(tmp_path / "mle.py", MiB, display="mle.py"))
    assert str(box["error"]) == "mle.py is a FIFO (named pipe), not a regular file: submit the file itself"


def test_a_file_swapped_for_a_fifo_after_its_lstat_neither_blocks_nor_is_read(tmp_path, monkeypatch):
    """The race: lstat saw a regular file, open finds a FIFO (O_NONBLOCK, then fstat refuses it)."""
    (tmp_path / "regular.py").write_text("x = 1\n")
    os.mkfifo(tmp_path / "mle.py")
    real_stat = os.stat
    monkeypatch.setattr(files.os, "stat", lambda name, **kw: real_stat(tmp_path / "regular.py", **kw))
    box = _returns_quickly(lambda: files.read_regular(tmp_path / "mle.py", MiB, display="mle.py"))
    assert str(box["error"]) == "mle.py changed while it was being read: submit it again"
    assert box["error"].short == "not a regular file"


def test_a_device_and_a_folder_are_refused(tmp_path):
    with pytest.raises(files.NotRead, match=r"^null is a device, not a regular file"):
        files.read_regular("/dev/null", MiB, display="null")
    with pytest.raises(files.NotRead, match="is a folder, not a regular file"):
        files.read_regular(tmp_path, MiB)
    with pytest.raises(files.NotRead, match=r"gone\.py could not be read \(No such file"):
        files.read_regular(tmp_path / "gone.py", MiB, display="gone.py")


def test_an_oversize_file_is_refused_with_its_size_and_the_cap(tmp_path):
    (tmp_path / "big.py").write_bytes(b"#" * (2 * MiB))
    with pytest.raises(files.NotRead) as info:
        files.read_regular(tmp_path / "big.py", MiB, display="big.py")
    assert str(info.value) == "big.py is 2.0 MiB, more than the 1.0 MiB a file may have: it was not read"
    (tmp_path / "small.py").write_bytes(b"#" * 101)
    with pytest.raises(files.NotRead, match=r"small\.py is 101 bytes, more than the 100 bytes"):
        files.read_regular(tmp_path / "small.py", 100, display="small.py")
    assert files.read_regular(tmp_path / "small.py", 101) == b"#" * 101  # the cap itself is allowed


def test_a_hard_link_is_refused_only_when_asked(tmp_path):
    (tmp_path / "a.py").write_bytes(b"a")
    os.link(tmp_path / "a.py", tmp_path / "b.py")
    assert files.read_regular(tmp_path / "b.py", 10) == b"a"
    with pytest.raises(files.NotRead, match="b.py has other hard links"):
        files.read_regular(tmp_path / "b.py", 10, display="b.py", one_link=True)


# ----------------------------------------------------------------------------
# writing


def test_write_atomic_writes_text_and_bytes_readable_by_others(tmp_path):
    files.write_atomic(tmp_path / "a.json", "é\n")
    files.write_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.json").read_text(encoding="utf-8") == "é\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert stat.S_IMODE(os.stat(tmp_path / "a.json").st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.bin"]  # no temporary file left


def test_an_error_mid_write_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "gradebook.csv"
    path.write_text("old, whole\n")
    with pytest.raises(RuntimeError):
        with files.replacing(path, newline="") as f:
            f.write("new, half")
            raise RuntimeError("the writer failed")
    assert path.read_text() == "old, whole\n"
    assert [p.name for p in tmp_path.iterdir()] == ["gradebook.csv"]


def test_a_crash_mid_write_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("old, whole\n")
    code = ("import os, sys\nfrom autograder import files\n"
            "with files.replacing(sys.argv[1]) as f:\n"
            "    f.write('new ' * 100000); f.flush()\n"
            "    os.kill(os.getpid(), 9)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr
    assert path.read_text() == "old, whole\n"
    left = [p.name for p in tmp_path.iterdir() if p.name != "results.json"]
    assert all(n.startswith(".results.json.") and n.endswith(".tmp") for n in left), left


def test_a_link_in_the_destination_is_replaced_never_written_through(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("not yours")
    (tmp_path / "out.json").symlink_to(target)
    files.write_atomic(tmp_path / "out.json", "{}\n")
    assert target.read_text() == "not yours"
    assert not (tmp_path / "out.json").is_symlink() and (tmp_path / "out.json").read_text() == "{}\n"


# ----------------------------------------------------------------------------
# digesting a folder


def _tree(root):
    (root / "sub").mkdir(parents=True)
    (root / "mle.py").write_text("x = 1\n")
    (root / "sub" / "helper.py").write_text("y = 2\n")
    (root / "notes.txt").write_text("notes\n")
    return root


def test_the_digest_changes_when_a_file_s_bytes_or_name_change(tmp_path):
    top = _tree(tmp_path / "top")
    before = files.tree_digest(top)
    assert files.tree_digest(top) == before
    (top / "mle.py").write_text("x = 2\n")
    assert files.tree_digest(top) != before
    (top / "mle.py").write_text("x = 1\n")
    assert files.tree_digest(top) == before
    (top / "sub" / "helper.py").rename(top / "sub" / "helper2.py")
    assert files.tree_digest(top) != before
    (top / "sub" / "helper2.py").rename(top / "sub" / "helper.py")
    (top / "new.py").write_text("")
    assert files.tree_digest(top) != before
    assert files.tree_digests(top)["sub/helper.py"] == hashlib.sha256(b"y = 2\n").hexdigest()


def test_the_digest_ignores_what_it_is_told_to(tmp_path):
    top = _tree(tmp_path / "top")
    only_py = files.tree_digest(top, suffixes=(".py",), skip_dirs=("__pycache__", ".ipynb_checkpoints"))
    no_txt = files.tree_digest(top, skip_suffixes=(".txt",), skip_dirs=("__pycache__", ".ipynb_checkpoints"))
    (top / "__pycache__").mkdir()
    (top / "__pycache__" / "mle.cpython-311.pyc").write_bytes(b"\0")
    (top / "sub" / ".ipynb_checkpoints").mkdir()
    (top / "sub" / ".ipynb_checkpoints" / "helper.py").write_text("z = 3\n")
    (top / "notes.txt").write_text("other notes\n")
    assert files.tree_digest(top, suffixes=(".py",), skip_dirs=("__pycache__", ".ipynb_checkpoints")) == only_py
    assert files.tree_digest(top, skip_suffixes=(".txt", ".pyc"),
                             skip_dirs=(".ipynb_checkpoints",)) == no_txt


def test_the_digest_never_follows_a_link_nor_blocks_on_a_fifo(tmp_path):
    top = _tree(tmp_path / "top")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("s = 1\n")
    (top / "link.py").symlink_to(outside / "secret.py")
    (top / "linkdir").symlink_to(outside)
    os.mkfifo(top / "pipe.py")
    (top / "big.py").write_bytes(b"#" * 2000)
    box = _returns_quickly(lambda: files.tree_digests(top, max_bytes=1000))
    digests = box["result"]
    assert digests["link.py"] == digests["linkdir"] == "<a symbolic link>"
    assert digests["pipe.py"] == "<a FIFO (named pipe)>"
    assert digests["big.py"] == "<2000 bytes>"
    assert not any(k.startswith("linkdir/") for k in digests)
    before = files.tree_digest(top)
    (outside / "secret.py").write_text("s = 2\n")   # what a link points to is not the folder's
    assert files.tree_digest(top) == before
    (top / "mle.py").unlink()
    (top / "mle.py").symlink_to(outside / "secret.py")   # a file turned into a link is a change
    assert files.tree_digests(top)["mle.py"] == "<a symbolic link>"


def test_the_digest_stops_after_max_entries_and_says_so(tmp_path):
    top = tmp_path / "many"
    top.mkdir()
    for i in range(20):
        (top / f"f{i:02d}.py").write_text(str(i))
    digests = files.tree_digests(top, max_entries=5)
    assert len(digests) == 6 and digests["..."] == "<more than 5 entries: the rest not looked at>"
    assert files.tree_digests(tmp_path / "missing") == {}
    (tmp_path / "link").symlink_to(top)
    assert files.tree_digests(tmp_path / "link") == {}
