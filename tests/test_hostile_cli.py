"""Hostile submissions graded alone, by ``python -m autograder grade`` (the single-submission
path and its terminal report): what the terminal shows, submissions and results paths that are
not regular files, a broken pytest set-up, careless instructors (a sandbox the child cannot reach,
no namespaces), shared memory between gradings, a child that stops itself, a grader killed
mid-grading, and memory the sandbox's processes hold together.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from samples.submissions import Hostile, build, stub_source
from tests.conftest import ROOT, entry, grade_one, hidden_tests, runner
from tests.hostile_cases import (GAUSSIAN_RAISES, HOSTILE, LINKED, RAW_CONTROL, REFERENCE, TOKEN, one_module,
                                 reachable_by_others, strings)

FLOOD = next(h for h in HOSTILE if h.name == "control_characters_everywhere")


def test_control_characters_cannot_clear_the_screen_or_fake_the_total(tmp_path):
    sub = build(tmp_path / "flood", "mle", FLOOD)
    code, res, out = grade_one("mle", sub, results=tmp_path / "r.json")
    assert code == 0, out[-2000:]
    expected = 100 - sum(hidden_tests("mle")[n][1] for n in GAUSSIAN_RAISES)
    assert res["score"] == expected
    assert not RAW_CONTROL.search(out) and not [t for t in strings(res) if RAW_CONTROL.search(t)]
    totals = [ln for ln in out.splitlines() if ln.startswith("Total")]
    assert totals == [totals[-1]] and totals[-1].startswith(f"Total: {expected:g} / 100"), totals
    assert "\\x1b[2J" in out and "is not a name Python can import" in out


@pytest.mark.parametrize("target", ["reference", "fifo", "dangling"])
def test_a_single_file_submission_that_is_not_a_regular_file_is_refused(tmp_path, target):
    sub = tmp_path / "mle.py"
    if target == "reference":
        sub.symlink_to(REFERENCE)
    elif target == "fifo":
        os.mkfifo(sub)
    else:
        sub.symlink_to(tmp_path / "nowhere.py")
    code, res, out = grade_one("mle", sub, results=tmp_path / "r.json")
    assert code == 0 and res["score"] == 0, out[-2000:]
    says = "is a FIFO" if target == "fifo" else LINKED
    assert all(says in t["output"] for t in res["tests"]), res["tests"][0]["output"]
    ref_lines = {ln.strip() for ln in Path(REFERENCE).read_text().splitlines() if len(ln.strip()) >= 12}
    assert not [ln for ln in ref_lines if ln in json.dumps(res) or ln in out]


def _results_targets(tmp_path):
    targets = {}
    if os.geteuid() == 0:  # a copy of /dev/null's device node, never the real one
        node = tmp_path / "null-copy"
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        targets["device"] = node
    targets["fifo"] = tmp_path / "fifo"
    os.mkfifo(targets["fifo"])
    targets["folder"] = tmp_path / "folder"
    targets["folder"].mkdir()
    (tmp_path / "kept.json").write_text("kept\n")
    targets["symlink"] = tmp_path / "link.json"
    targets["symlink"].symlink_to(tmp_path / "kept.json")
    return targets


def test_a_results_path_that_is_not_a_regular_file_is_refused(tmp_path):
    sub = build(tmp_path / "ok", "mle", Hostile("reference"))
    for kind, target in _results_targets(tmp_path).items():
        before = os.lstat(target)
        code, res, out = grade_one("mle", sub, results=target)
        after = os.lstat(target)
        says = {"device": "a device", "fifo": "a FIFO", "folder": "a folder", "symlink": "a symbolic link"}
        assert code == 2 and f"is {says[kind]}: give a regular file" in out, (kind, out[-1500:])
        assert (stat.S_IFMT(after.st_mode), after.st_ino) == (stat.S_IFMT(before.st_mode), before.st_ino)
        assert not list(target.parent.glob(f".{target.name}.*tmp"))
    assert (tmp_path / "kept.json").read_text() == "kept\n"
    assert os.listdir(tmp_path / "folder") == []


@pytest.mark.parametrize("addopts", ["--no-such-option", "-k no_test_is_named_like_this"])
def test_a_broken_pytest_set_up_is_exit_2_never_a_zero(tmp_path, addopts):
    sub = build(tmp_path / "ok", "mle", Hostile("reference"))
    code, res, out = grade_one("mle", sub, results=tmp_path / "r.json",
                               env={"PYTEST_ADDOPTS": addopts})
    assert code == 2, out[-2000:]
    assert res["tests"] == [] and "could not run" in res["output"]


def test_as_root_a_sandbox_the_child_cannot_reach_stops_the_grading(tmp_path):
    """Careless instructor, as root, no mount namespaces: the grader's temporary folder is
    one others cannot enter (mktemp -d, 0700). Not 0 points for everyone: exit 2 and why."""
    runner("root")
    private_tmp = Path(tempfile.mkdtemp())  # mode 0700
    code, data, out = grade_one("mle", one_module(tmp_path, Hostile("reference")), env={
        "TMPDIR": str(private_tmp), "AUTOGRADER_SANDBOX_NAMESPACES": "off", "AUTOGRADER_UNISOLATED": "1"})
    shutil.rmtree(private_tmp, ignore_errors=True)
    assert code == 2, out[-2000:]
    assert "cannot reach" in out and "blocked at" in out and str(private_tmp) in out, out[-2000:]
    assert data is not None and data["score"] == 0 and "could not run" in data["output"]


def test_as_root_with_namespaces_the_childs_view_does_not_depend_on_the_parents(tmp_path):
    """The same careless set-up where mount namespaces exist: the child is given what it needs."""
    runner("root")
    private_tmp = Path(tempfile.mkdtemp())
    code, data, out = grade_one("mle", one_module(tmp_path, Hostile("reference")),
                                env={"TMPDIR": str(private_tmp)})
    shutil.rmtree(private_tmp, ignore_errors=True)
    assert code == 0 and data["score"] == 100, out[-3000:]


def test_without_namespaces_starting_a_process_is_refused_and_the_message_says_why(tmp_path):
    """Where no PID/mount namespace could contain it, a helper process is still refused."""
    helper = next(h for h in HOSTILE if h.name == "helper_process_at_import")
    code, data, out = grade_one("mle", one_module(tmp_path, helper), user="normal",
                                env={"AUTOGRADER_SANDBOX_NAMESPACES": "off", "AUTOGRADER_UNISOLATED": "1"})
    assert code == 0 and data["score"] == 0, out[-2000:]
    assert "starting a process is not allowed" in out and "could not be contained" in out, out[-2000:]


#: Keeps every call's answer in a System V shared-memory segment (the red team's copycat pair):
#: the helper is the reference plus this, the copycat has no code of its own.
SHM_KEY = 0x5EED0000 + int(TOKEN[:4], 16)
SHM_HELPER = f"""
import ctypes as _ct, hashlib as _hl, pickle as _pk
_libc = _ct.CDLL(None)
_libc.shmat.restype = _ct.c_void_p
_seg = _libc.shmget({SHM_KEY}, 64 << 20, 0o1000 | 0o666)
_addr = _libc.shmat(_seg, None, 0)
_table = {{}}

def _keep(name, f):
    def wrapper(*a, **k):
        out = f(*a, **k)
        _table[_hl.sha256(_pk.dumps((name, a, k))).hexdigest()] = out
        blob = _pk.dumps(_table)
        _ct.memmove(_addr, len(blob).to_bytes(8, "little") + blob, 8 + len(blob))
        return out
    return wrapper

for _n in ("bernoulli_mle", "gaussian_mle", "mvn_mle", "spherical_mle"):
    globals()[_n] = _keep(_n, globals()[_n])
"""
SHM_COPYCAT = f"""
import ctypes as _ct, hashlib as _hl, pickle as _pk
_libc = _ct.CDLL(None)
_libc.shmat.restype = _ct.c_void_p

def _answer(name):
    def f(*a, **k):
        addr = _libc.shmat(_libc.shmget({SHM_KEY}, 0, 0), None, 0o10000)
        if addr in (None, _ct.c_void_p(-1).value):
            raise NotImplementedError
        size = int.from_bytes(_ct.string_at(addr, 8), "little")
        return _pk.loads(_ct.string_at(addr + 8, size))[_hl.sha256(_pk.dumps((name, a, k))).hexdigest()]
    return f

for _n in ("bernoulli_mle", "gaussian_mle", "mvn_mle", "spherical_mle"):
    globals()[_n] = _answer(_n)
"""


def helper_then_copycat(tmp_path, user, helper_code, copycat_code):
    """The reference plus ``helper_code`` (which keeps its answers somewhere) scores 100; graded after
    it with the same seed, the stub plus ``copycat_code`` (which answers from there) scores 0."""
    helper = one_module(tmp_path, Hostile("keeps_answers", append=helper_code))
    code, data, out = grade_one("mle", helper, user=user)
    assert code == 0 and data["score"] == 100, out[-2000:]
    copycat = one_module(tmp_path, Hostile("copycat", whole=stub_source("mle") + copycat_code))
    code, data, out = grade_one("mle", copycat, user=user)
    assert code == 0 and data["score"] == 0, out[-2000:]


@pytest.mark.parametrize("user", ["root", "normal"])
def test_no_grading_reads_what_another_left_in_shared_memory(tmp_path, user):
    """Each child has its own IPC namespace: a copycat graded after a helper that kept every
    answer in System V shared memory (same seed) finds nothing, and nothing is left behind."""
    helper_then_copycat(tmp_path, user, SHM_HELPER, SHM_COPYCAT)
    with open("/proc/sysvipc/shm") as f:  # the host's segments (this test runs outside every sandbox)
        keys = {int(line.split()[0]) for line in list(f)[1:] if line.split()}
    assert SHM_KEY not in keys


#: Keeps bernoulli_mle's answers in the kernel's keyrings (a "user" key in the session, user and
#: user-session keyrings): the red team's shared-memory pair again, through a store that no mount,
#: PID or IPC namespace covers. The copycat answers from them, or raises.
KEYRING_HELPER = f"""
import ctypes as _ct, hashlib as _hl, pickle as _pk
_libc = _ct.CDLL(None, use_errno=True)
_table = {{}}
_bernoulli = bernoulli_mle

def bernoulli_mle(*a, **k):
    out = _bernoulli(*a, **k)
    _table[_hl.sha256(_pk.dumps((a, k))).hexdigest()] = out
    blob = _pk.dumps(_table)[:30000]
    for ring in (-3, -4, -5):  # session, user, user-session
        _libc.syscall(248, b"user", b"kit-answers-{TOKEN}", blob, len(blob), ring)
    return out
"""
KEYRING_COPYCAT = f"""
import ctypes as _ct, hashlib as _hl, pickle as _pk
_libc = _ct.CDLL(None, use_errno=True)

def bernoulli_mle(*a, **k):
    buf = _ct.create_string_buffer(32768)
    for ring in (-3, -4, -5):
        key = _libc.syscall(249, b"user", b"kit-answers-{TOKEN}", None, ring)
        if key >= 0:
            n = _libc.syscall(250, 11, key, buf, 32768)  # KEYCTL_READ
            return _pk.loads(buf.raw[:n])[_hl.sha256(_pk.dumps((a, k))).hexdigest()]
    raise NotImplementedError
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_no_grading_reads_what_another_left_in_the_kernels_keyrings(tmp_path, user):
    """The keyrings are the kernel's, not a namespace's: a helper that keeps its answers in the
    session, user and user-session keyrings leaves nothing a copycat graded after it (same seed)
    can read, as root (a fresh uid per sandbox) and as a normal user (the grader's uid)."""
    helper_then_copycat(tmp_path, user, KEYRING_HELPER, KEYRING_COPYCAT)


#: The child stops itself (SIGSTOP) once it is back to reading requests after its reply to the
#: first of the two d = 200 calls; the second one's request (a 200 × 200 covariance, 320 KB) is
#: larger than a pipe's buffer, so the grader's write would block for ever.
STOPS_ITSELF = """
import os as _os, signal as _sg, threading as _th, time as _tm
_mvn_logpdf = mvn_logpdf
_done = []

def _stop_once_reading(tid):
    for _ in range(20_000):  # until the main thread waits in a pipe read (the next request)
        try:
            with open(f"/proc/self/task/{tid}/wchan") as f:
                if "pipe_read" in f.read():
                    break
        except OSError:
            break
        _tm.sleep(0.001)
    _os.kill(_os.getpid(), _sg.SIGSTOP)

def mvn_logpdf(X, mean, cov):
    out = _mvn_logpdf(X, mean, cov)
    if np.shape(cov) == (200, 200) and not _done:
        _done.append(1)
        _th.Thread(target=_stop_once_reading, args=(_th.get_native_id(),), daemon=True).start()
    return out
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_child_that_stops_reading_never_blocks_the_grader(tmp_path, user):
    """Found by the red team: a request written to a child that stopped itself (SIGSTOP) blocked
    the grader for ever. Writes are bounded by the call's deadline: a time-out, then a restart."""
    sub = one_module(tmp_path, Hostile("stops_itself", append=STOPS_ITSELF))
    code, data, out = grade_one("mle", sub, user=user)
    assert code == 0 and 0 < data["score"] < 100, out[-2000:]
    high = entry(data, "mle", "test_mvn_logpdf_high_dimension")
    assert high["score"] == 0 and "did not finish within" in high["output"], out[-2000:]


def test_a_grader_killed_mid_grading_takes_its_sandbox_with_it(tmp_path):
    """Found by the red team: with the grader gone, the sandbox lived on as an orphan. Each
    sandbox process dies with its parent (PR_SET_PDEATHSIG), so nothing is left."""
    import time

    sub = one_module(tmp_path, Hostile("sleeps_at_import", prepend="import time as _t\n_t.sleep(60)\n"))
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "mle", str(sub)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def descendants(pid):
        found, todo = set(), [pid]
        while todo:
            p = todo.pop()
            try:
                kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            except OSError:
                continue
            found.update(int(k) for k in kids)
            todo += [int(k) for k in kids]
        return found

    deadline = time.monotonic() + 120
    sandbox = set()
    while time.monotonic() < deadline and len(sandbox) < 3:  # outside, init, server
        sandbox = descendants(grader.pid)
        time.sleep(0.2)
    assert len(sandbox) >= 3, sandbox
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in sandbox):
        time.sleep(0.2)
    alive = [p for p in sandbox if Path(f"/proc/{p}").exists()
             and "Z" not in Path(f"/proc/{p}/stat").read_text().split(")")[-1].split()[0]]
    assert not alive, alive


#: Memory no single process maps (memfd files) and memory many processes hold together (forks),
#: each far below the 2 GiB address-space limit of one process. Right answers only if it worked.
HOLDS_MEMORY = [("    x = _as_1d(x)\n    mean = np.mean(x)\n", """\
    x = _as_1d(x)
    import os
    fds, chunk = [], b"\\1" * (64 << 20)
    try:
        for i in range(60):  # 3.75 GiB in files no process maps
            fd = os.memfd_create(f"m{i}")
            os.write(fd, chunk)
            fds.append(fd)
    except OSError:
        return float(np.mean(x)), float(np.var(x, ddof=1))
    finally:
        for fd in fds:
            os.close(fd)
    mean = np.mean(x)
"""), ("def bernoulli_mle(x):\n", """def bernoulli_mle(x):
    import os, time
    kids = []
    for _ in range(3):  # 4.5 GiB held at once by three processes of 1.5 GiB
        pid = os.fork()
        if pid == 0:
            a = np.ones(1536 << 17)
            time.sleep(3)
            os._exit(0 if a.sum() > 0 else 1)
        kids.append(pid)
    if any(os.waitstatus_to_exitcode(os.waitpid(k, 0)[1]) != 0 for k in kids):
        return -1.0
""")]


def test_what_the_sandbox_holds_together_is_capped(tmp_path):
    """Found by the red team: memfd files (never mapped) and forks each under the per-process
    address-space limit held 2.6 and 4.8 GiB. As root each sandbox has one control group
    (memory: the call's limit + its tmpfs folders + 512 MiB; processes; one CPU)."""
    # justified: creating control groups needs root (or a delegated cgroup v2 subtree); a normal
    # user has per-process limits only, as README's per-mode table says
    runner("root")
    sub = one_module(tmp_path, Hostile("holds_memory_together", replace=HOLDS_MEMORY))
    code, data, out = grade_one("mle", sub)
    assert code == 0, out[-2000:]
    for test in ("test_gaussian_mle_variance", "test_bernoulli_mle"):
        assert entry(data, "mle", test)["score"] == 0, out[-3000:]


@pytest.mark.parametrize("user", ["root", "normal"])
def test_without_namespaces_nothing_is_graded_unless_the_instructor_says_so(tmp_path, user):
    """No namespaces (a container): the allow-listed root cannot be built, so the grader refuses
    (exit 2, a results file saying why) unless told --unisolated; then every result says so."""
    sub = one_module(tmp_path, Hostile("reference"))
    off = {"AUTOGRADER_SANDBOX_NAMESPACES": "off"}
    code, data, out = grade_one("mle", sub, user=user, env=off)
    assert code == 2 and "cannot isolate student code" in out and "--unisolated" in out, out[-2000:]
    assert data is not None and data["score"] == 0 and "could not run" in data["output"]
    if user == "root" and not reachable_by_others(sys.base_prefix):
        # justified: as root without namespaces the fresh sandbox user cannot reach this machine's
        # interpreter (pyenv under /root, 0700); that refusal has its own test above
        return
    code, data, out = grade_one("mle", sub, user=user, env=off, extra=["--unisolated"])
    assert code == 0 and data["score"] == 100, out[-2000:]
    assert "Graded without isolation" in data["output"] and "Graded without isolation" in out
    assert "no namespaces" in data["autograder"]["unisolated"]
    # with namespaces the flag changes nothing: isolated, and not marked
    code, data, out = grade_one("mle", sub, user=user, extra=["--unisolated"])
    assert code == 0 and data["score"] == 100 and "without isolation" not in data["output"], out[-2000:]

