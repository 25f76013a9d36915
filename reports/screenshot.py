"""Regenerate README's pictures of the reports: ``make feedback-screenshot``.

Grades a demonstration class of one assignment (the reference, the
untouched stub, every catalogued mistake, the sample class's two thrice, a
syntax error, a forbidden import, a missing module; fixed seed) with
``grade-all --results-dir … --feedback …`` (which draws the pages with
``python -m reports``), all under ``build/feedback-demo/``, and renders one
student's page and the class report with headless Chromium (Debian's
``chromium``) into small PNGs: ``docs/feedback.png`` and ``docs/class-report.png``.

    python -m reports.screenshot [--assignment mle] [--student variance_divided_by_n_minus_1]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.paths import ROOT

from .feedback import page_name

SEED = 20261201


def chromium_binary():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def screenshot(page, png, *, width=1000, height=1400, scale_to=760):
    """Render ``page`` (a local HTML file) with headless Chromium; save a PNG ``scale_to`` pixels wide."""
    from PIL import Image

    browser = chromium_binary()
    if browser is None:
        raise SystemExit("reports.screenshot: no Chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="kit-chromium-") as tmp:
        raw = Path(tmp) / "shot.png"
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp}/profile",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--hide-scrollbars", "--force-device-scale-factor=1", f"--window-size={width},{height}",
               f"--screenshot={raw}", Path(page).resolve().as_uri()]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        image = Image.open(raw).convert("RGB")
        image = image.resize((scale_to, round(image.height * scale_to / image.width)), Image.LANCZOS)
        png = Path(png)
        png.parent.mkdir(parents=True, exist_ok=True)
        image.quantize(colors=256).save(png, optimize=True)
    return png


def demo_class(dest, assignment):
    """A class to show: the reference twice, the untouched stub, every catalogued mistake (the sample
    class's two three times each), a syntax error, a forbidden import and a missing module."""
    from samples.submissions import apply, catalogue, reference_source, stub_source, write

    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    subs = [("reference", reference_source(assignment)), ("reference_again", reference_source(assignment)),
            ("untouched_stub", stub_source(assignment))]
    bugs = catalogue(assignment)
    subs += [(b.name, apply(assignment, b)) for b in bugs]
    subs += [(f"{b.name}_{copy}", apply(assignment, b)) for b in bugs if b.sample for copy in ("b", "c")]
    subs += [("syntax_error", reference_source(assignment).replace("def ", "def (", 1)),
             ("forbidden_import", "import sklearn.mixture\n" + reference_source(assignment))]
    for i, (name, text) in enumerate(subs, 1):
        write(dest / f"{i:02d}_{name}", assignment, text)
    (dest / f"{len(subs) + 1:02d}_missing_module").mkdir()
    (dest / f"{len(subs) + 1:02d}_missing_module" / "notes.txt").write_text("I could not finish.\n")
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reports.screenshot", description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="mle")
    parser.add_argument("--student", default="variance_divided_by_n_minus_1",
                        help="the catalogued mistake whose page is shown")
    parser.add_argument("--build", default=str(ROOT / "build" / "feedback-demo"))
    parser.add_argument("--docs", default=str(ROOT / "docs"))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    build = Path(args.build)
    folder = demo_class(build / "class" / args.assignment, args.assignment)
    out, kept = build / "feedback" / args.assignment, build / "results" / args.assignment
    for old in (out, kept):
        if old.exists():
            shutil.rmtree(old)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    subprocess.run([sys.executable, "-m", "autograder", "grade-all", args.assignment, str(folder),
                    "--seed", str(SEED), "--jobs", str(args.jobs), "--results-dir", str(kept),
                    "--feedback", str(out)], check=True, cwd=ROOT, env=env)
    shown = next(p.name for p in folder.iterdir() if p.name.split("_", 1)[1] == args.student)
    print(screenshot(out / f"{page_name(shown)}.html", Path(args.docs) / "feedback.png", height=1350))
    print(screenshot(out / "class.html", Path(args.docs) / "class-report.png", height=1500))
    return 0


if __name__ == "__main__":
    sys.exit(main())
