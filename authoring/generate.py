"""Generate what students get, ``assignments/``, from the one source, ``solutions/``.

    python -m authoring            # write assignments/ (refuses to overwrite changed files)
    python -m authoring --force    # the same, changed files first saved under saved-work/
    python -m authoring --check    # exit 1 if assignments/ is out of date

Each ``assignments/<a>/`` is the stub module and stamped copies of the public
tests and README (:mod:`authoring.stubs`), the public tests' ``conftest.py`` and
the notebook's ``notebook_tools.py`` (:mod:`authoring.support`), plus the student
notebook built from ``solutions/<a>/<a>_notebook.py`` (:mod:`authoring.notebooks`).

``assignments/`` may be where someone works (a student's clone of the kit, an
instructor trying an assignment): regeneration never deletes a file it did not
write. ``assignments/MANIFEST`` lists the SHA-256 of every file it wrote; a file
whose content is neither that nor the new one was changed by hand, and the
generator refuses to touch it (``--force`` first saves it under ``saved-work/``).
Tool droppings (``.ipynb_checkpoints``, ``__pycache__``, ...) are never compared or touched.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

from autograder.paths import ROOT, SOLUTIONS, STUDENT

from . import notebooks, stubs, support

ASSIGNMENTS = STUDENT
#: Where --force keeps changed files (not under build/: `make clean` must not delete them).
SAVED = ROOT / "saved-work"
MANIFEST = "MANIFEST"


class ChangedFilesError(RuntimeError):
    """Regenerating would overwrite files someone changed."""


def _write_into(dest_root):
    """Write every assignment's student files under ``dest_root`` (a fresh folder)."""
    dest_root = Path(dest_root)
    for folder in sorted(p for p in SOLUTIONS.iterdir() if p.is_dir()):
        dest = dest_root / folder.name
        stubs.write_files(folder, dest)
        support.write_support(dest)
        if notebooks.source_path(folder.name).exists():
            stubs.refuse_markers(notebooks.write_student_notebook(folder.name, dest))


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _files(root):
    """{relative posix path: sha256} of the files under ``root``, tool droppings left out."""
    root = Path(root)
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if p.is_file() and not stubs.is_dropping(rel) and rel.as_posix() != MANIFEST:
            out[rel.as_posix()] = _sha(p)
    return out


def _read_manifest(root):
    path = Path(root) / MANIFEST
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, rel = line.split(None, 1)
            out[rel] = digest
    return out


def _manifest_text(files):
    return ("# Files written by `make assignments` (python -m authoring) and their SHA-256: a file\n"
            "# whose content differs from both this and the new one is never overwritten.\n"
            + "".join(f"{d}  {rel}\n" for rel, d in sorted(files.items())))


def changed_files(dest_root=ASSIGNMENTS, new=None):
    """Files under ``dest_root`` that regenerating would overwrite or delete though someone changed them."""
    dest_root = Path(dest_root)
    if new is None:
        with tempfile.TemporaryDirectory(prefix="kit-assignments-") as tmp:
            _write_into(tmp)
            new = _files(tmp)
    known = _read_manifest(dest_root)
    current = _files(dest_root) if dest_root.exists() else {}
    changed = []
    for rel, digest in current.items():
        if rel in new and digest not in (new[rel], known.get(rel)):
            changed.append(rel)       # a generated file edited by hand
        elif rel not in new and rel in known and digest != known[rel]:
            changed.append(rel)       # no longer generated, but edited since
    return sorted(changed)


def generate(dest_root=ASSIGNMENTS, *, force=False, saved=SAVED):
    """Write every assignment's student files under ``dest_root``; never delete someone's work.

    Files the generator wrote before (``MANIFEST``) and no longer writes are removed if
    unchanged; files it never wrote are left alone. A generated file changed by hand raises
    :class:`ChangedFilesError`, unless ``force``: then it is first copied under ``saved``.
    Returns the list of saved files (``[]`` normally).
    """
    dest_root = Path(dest_root)
    with tempfile.TemporaryDirectory(prefix="kit-assignments-") as tmp:
        _write_into(tmp)
        new = _files(tmp)
        changed = changed_files(dest_root, new)
        kept = []
        if changed and not force:
            raise ChangedFilesError(
                f"{len(changed)} file(s) under {dest_root} differ from what was generated, so nothing "
                f"was written and your work is untouched: {', '.join(changed[:8])}"
                + (" ..." if len(changed) > 8 else "")
                + ". Instructors who changed them by mistake: `python -m authoring --force` first "
                f"saves them under {saved} (nothing is deleted), then regenerates.")
        if changed:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            for rel in changed:
                target = Path(saved) / stamp / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(dest_root / rel, target)
                kept.append(target)
        known = _read_manifest(dest_root)
        for rel in known:
            old = dest_root / rel
            if rel not in new and old.is_file():
                old.unlink()          # generated before, unchanged (else it was saved above)
        for rel in new:
            target = dest_root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(tmp) / rel, target)
        dest_root.mkdir(parents=True, exist_ok=True)
        (dest_root / MANIFEST).write_text(_manifest_text(new), encoding="utf-8")
    return kept


def stage(assignment, dest, *, variant="source", module_text=None):
    """Write a complete assignment folder to ``dest``: what ``source/<a>/`` of the course holds.

    The student files of ``assignments/<a>/`` (regenerated from ``solutions/``, so the stub,
    never the reference), the notebook of ``variant``, and the data it loads under
    ``datasets/``. ``module_text`` replaces the module (tests use it to stage a submission).
    """
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    with tempfile.TemporaryDirectory(prefix="kit-stubs-") as tmp:
        _write_into(tmp)
        shutil.copytree(Path(tmp) / assignment, dest)
    for stray in (dest / notebooks.source_path(assignment).name, dest / f"{assignment}.ipynb"):
        if stray.exists():
            stray.unlink()
    notebooks.write_notebook(notebooks.build_notebook(assignment, variant), dest / f"{assignment}.ipynb")
    for f in notebooks.data_files(assignment):
        (dest / "datasets").mkdir(exist_ok=True)
        shutil.copyfile(f, dest / "datasets" / f.name)
    if module_text is not None:
        (dest / f"{assignment}.py").write_text(module_text, encoding="utf-8")
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m authoring", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that assignments/ is up to date")
    parser.add_argument("--force", action="store_true",
                        help="regenerate even files changed by hand (saved under saved-work/ first)")
    args = parser.parse_args(argv)
    if not args.check:
        try:
            kept = generate(ASSIGNMENTS, force=args.force, saved=SAVED)
        except ChangedFilesError as exc:
            print(f"python -m authoring: {exc}", file=sys.stderr)
            return 1
        for path in kept:
            print(f"saved your changed file as {path}")
        print(f"wrote {ASSIGNMENTS}/ from {SOLUTIONS}/")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        diffs = stubs.differences(tmp, ASSIGNMENTS) if ASSIGNMENTS.exists() else ["assignments/"]
    if diffs:
        changed = changed_files(ASSIGNMENTS) if ASSIGNMENTS.exists() else []
        hint = ("run `make assignments` (it keeps files changed by hand: "
                f"{', '.join(changed)} — it refuses and says so)" if changed else "run `make assignments`")
        print(f"assignments/ is out of date with solutions/ ({hint}): " + ", ".join(diffs), file=sys.stderr)
        return 1
    print("assignments/ is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
