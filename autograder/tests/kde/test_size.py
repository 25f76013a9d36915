"""kde, part 5: gaussian_kde_logpdf on a large input, under a memory limit (10 points).

Its call runs in a child process of its own (``memory_mb``, a sandbox with its own uid and PID
namespace), so the limit binds only this test and closing that child never touches the shared
one (``tests/test_sandbox.py`` checks it).
"""
import re

from autograder.harness import expect_array, expect_close, fail, points, reference, same_for_every_student
from autograder.sandbox import StudentCodeError

ref = reference("kde")
expected_logpdf = same_for_every_student(ref.gaussian_kde_logpdf)  # the class shares one seed

# The memory-bounded case. The child's address space is ~200 MiB after NumPy and SciPy are loaded
# (measured: VmSize 205 MB); under a 1024 MiB limit about 820 MiB are left. At n = 40 000, m = 5 000,
# d = 2 the (m, n, d) array of differences is 3.2 GB and the full (m, n) matrix of squared
# distances 1.6 GB: neither fits, while a blocked computation needs a few MiB (the reference's
# child peaks at 210 MB of address space and its call takes 0.3 to 1 s, depending on the load). The spec's own size (n = 10⁵, m = 10⁴) is 5x larger; this one keeps
# grading fast. The time limit is generous (the test is about memory): a plain NumPy version that
# broadcasts blocks of 25 queries, (25, n, d) at a time, with scipy.special.logsumexp, takes
# 17 s here on the kit's machine with its 2 cores busy (load 9), the reference ~1 s.
BIG_N, BIG_M, BIG_D = 40_000, 5_000, 2


def memory_hint(message):
    """A hint naming the array that did not fit, read from NumPy's 'Unable to allocate' message."""
    shapes = re.findall(r"shape \(([\d, ]+)\)", message)
    if not shapes:
        return ""
    shape = tuple(int(s) for s in shapes[-1].replace(" ", "").split(",") if s)
    if BIG_M in shape and BIG_N in shape:
        kind = ("an (m, n, d) array of all differences x_query − x_train" if len(shape) == 3
                else "the full (m, n) matrix of all query/training pairs")
        return (f"\nLikely mistake: you built {kind} (shape {shape}) at once. Process the queries "
                "(and if you like the training rows) in blocks of a few hundred thousand to a few "
                "million pairs, and get each block's squared distances from one matrix product "
                "(‖q − x‖² = ‖q‖² + ‖x‖² − 2 q·x); combine blocks of training rows with logaddexp.")
    return ""


@points(10, memory_mb=1024, timeout=60)
def test_logpdf_memory_bounded(student, rng):
    """gaussian_kde_logpdf with n = 40 000, m = 5 000, d = 2 under a 1 GiB memory limit (blocks)"""
    X = rng.normal(size=(BIG_N, BIG_D))
    Q = rng.normal(size=(BIG_M, BIG_D)) * 1.5
    h = float(rng.uniform(0.1, 0.3))
    try:
        got = student.gaussian_kde_logpdf(X, Q, h)
    except StudentCodeError as exc:
        if exc.kind != "memory":
            raise
        fail(f"{exc} (an array of shape ({BIG_M}, {BIG_N}, {BIG_D}) of float64 needs "
             f"{BIG_M * BIG_N * BIG_D * 8 / 2**30:.1f} GiB, one of shape ({BIG_M}, {BIG_N}) "
             f"{BIG_M * BIG_N * 8 / 2**30:.1f} GiB){memory_hint(str(exc))}")
    what = f"gaussian_kde_logpdf with n={BIG_N}, m={BIG_M}, d={BIG_D}"
    got = expect_array(got, what, shape=(BIG_M,))
    expect_close(got, expected_logpdf(X, Q, h), what, rtol=1e-8)
