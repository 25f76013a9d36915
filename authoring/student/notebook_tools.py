"""Two helpers of the notebook: the public tests of one part, and one line for an unwritten function.

``check("<tests>")``
    runs the public tests (``test_<a>_public.py``) of one part of the
    assignment against your module as it is on disk, in a fresh Python, and
    prints the result; failures go to stderr, so ``nbgrader validate`` (and
    the cell's red background) shows them. It grades nothing: the autograder's
    hidden tests do, when you submit.
``stop_at_unwritten()``
    from then on, a cell that calls a function you have not written yet (it
    raises ``NotImplementedError``) ends with one line naming it instead of a
    traceback, and the notebook goes on; a later cell that needs a variable
    such a cell did not compute says so in one line. Any other error shows as usual.
"""
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

#: Set (to anything) by the course's autograder while it grades: check() then does nothing.
QUIET = "NOTEBOOK_CHECKS_OFF"
_stops = []
_PROGRESS = re.compile(r"^[.FENsxX]+\s*(\[\s*\d+%\])?\s*$")  # pytest's progress line


def check(tests, folder=None):
    """Run the public tests whose names match ``tests`` (a ``pytest -k`` expression)."""
    if os.environ.get(QUIET):
        return
    folder = Path(folder or os.getcwd())
    files = sorted(folder.glob("test_*_public.py"))
    if not files:
        print(f"no public tests (test_*_public.py) in {folder}", file=sys.stderr)
        return
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "--tb=short", "--color=no",
                           "-p", "no:cacheprovider", "-k", tests, *[f.name for f in files]],
                          cwd=folder, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip() and not _PROGRESS.match(ln)]
    if proc.returncode == 0:
        print(f"public tests of this part: {lines[-1].strip('= ') if lines else 'passed'}")
        return
    print("public tests of this part:\n" + "\n".join(lines[-40:]) + (proc.stderr[-2000:] or ""),
          file=sys.stderr)


def _assigned(tree):
    """Top-level names a cell would have defined."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _stopped(exc, names):
    """Called when a cell raised: print one line (and return True) or let the error show."""
    ip = _shell()
    if isinstance(exc, NotImplementedError):
        _stops.append(str(exc) or "a function raises NotImplementedError")
        missing = {n for n in names if n not in ip.user_ns}
        ip.user_ns.setdefault("_notebook_skipped", set()).update(missing)
        tb, where = exc.__traceback__, "your module"
        while tb is not None:
            where = os.path.basename(tb.tb_frame.f_code.co_filename)
            tb = tb.tb_next
        print(f"stopped here: {_stops[-1]} (write it in {where}, then run this cell again)")
        return True
    if isinstance(exc, NameError) and getattr(exc, "name", None) in ip.user_ns.get("_notebook_skipped", ()):
        ip.user_ns["_notebook_skipped"].update(n for n in names if n not in ip.user_ns)
        print(f"skipped: this cell needs {exc.name!r}, which a cell above did not compute "
              f"({_stops[-1]})")
        return True
    return False


class _Guard(ast.NodeTransformer):
    """Wrap a cell in ``try: ... except Exception as e: if not _stopped(e, names): raise``."""

    def visit_Module(self, node):
        if not node.body:
            return node
        body, last = node.body, None
        if isinstance(body[-1], ast.Expr):  # keep the last expression's value on display
            last = body[-1]
            body = body[:-1] + [ast.Assign(targets=[ast.Name("_notebook_last", ast.Store())], value=last.value)]
        names = sorted(_assigned(node))
        handler = ast.ExceptHandler(
            type=ast.Name("Exception", ast.Load()), name="_notebook_error",
            body=[ast.If(test=ast.UnaryOp(ast.Not(), ast.Call(
                ast.Name("_notebook_stopped", ast.Load()),
                [ast.Name("_notebook_error", ast.Load()), ast.Tuple([ast.Constant(n) for n in names], ast.Load())], [])),
                body=[ast.Raise()], orelse=[]),
                ast.Assign(targets=[ast.Name("_notebook_last", ast.Store())], value=ast.Constant(None))])
        new = [ast.Assign(targets=[ast.Name("_notebook_last", ast.Store())], value=ast.Constant(None)),
               ast.Try(body=body, handlers=[handler], orelse=[], finalbody=[])]
        if last is not None:
            new.append(ast.Expr(ast.Name("_notebook_last", ast.Load())))
        node.body = new
        return ast.fix_missing_locations(node)


def _shell():
    from IPython import get_ipython

    return get_ipython()


def stop_at_unwritten():
    """From the next cell on, an unwritten function ends its cell with one line (see the module doc)."""
    ip = _shell()
    if ip is None:
        return
    ip.user_ns["_notebook_stopped"] = _stopped
    if not any(isinstance(t, _Guard) for t in ip.ast_transformers):
        ip.ast_transformers.append(_Guard())
