"""The house: who may import whom (read from the code's own imports with ``ast``).

- The engine (``autograder/``) grades and writes results; it imports nothing of what is built
  around it: not the reports, the front doors, the authoring tools, the samples, the quality
  tools, the benches, nor the kit's tests.
- Product code never imports the kit's test suite (``tests/``).
- No module imports itself back through others (no circles), and no package's ``__init__`` is
  part of a circle with its own modules (a module that takes a name from its package's
  ``__init__`` while that ``__init__`` imports the module).
"""
import ast

from autograder.paths import ROOT

#: the folders of the kit that hold importable Python (what students get is generated elsewhere)
PACKAGES = ["autograder", "authoring", "bench", "datasets", "frontdoors", "gradebook", "hidden_tests", "quality",
            "reports", "samples", "solutions", "tests"]
#: what the engine may import of the kit (besides its own modules): the data it grades with
ENGINE_MAY_IMPORT = {"autograder", "datasets"}


def module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def modules():
    found = {}
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "__pycache__" not in path.parts:
                found[module_name(path)] = path
    return found


def imports(name, path, known):
    """The kit's modules whose code ``name`` needs (anywhere in the file: a lazy import counts).

    ``from p import x`` needs ``p.x`` where that is a module, else ``p`` itself (its ``__init__``
    defines ``x``); ``import p.q`` needs ``p.q``.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def deepest(dotted):
        pieces = dotted.split(".")
        for i in range(len(pieces), 0, -1):
            if ".".join(pieces[:i]) in known:
                return ".".join(pieces[:i])
        return None

    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [deepest(a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - (node.level - 1)]
                stem = ".".join([*base, *([node.module] if node.module else [])])
            else:
                stem = node.module
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else deepest(stem) for a in node.names]
        else:
            continue
        out.update(t for t in targets if t and t != name)
    return out


def graph():
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def top(name):
    return name.split(".")[0]


def test_the_engine_imports_nothing_built_around_it():
    wrong = sorted(f"{m} imports {t}" for m, targets in graph().items() if top(m) == "autograder"
                   for t in targets if top(t) not in ENGINE_MAY_IMPORT)
    assert not wrong, "the engine must not import the layers built on it:\n" + "\n".join(wrong)


def test_product_code_never_imports_the_kits_tests():
    wrong = sorted(f"{m} imports {t}" for m, targets in graph().items() if top(m) != "tests"
                   for t in targets if top(t) == "tests")
    assert not wrong, "move what product code needs out of tests/ (e.g. into samples/):\n" + "\n".join(wrong)


def circles(edges):
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_back():
    found = circles(graph())
    assert not found, "import circles (break each by moving the shared piece down):\n" + "\n".join(
        " ↔ ".join(c) for c in found)


def test_the_circle_finder_finds_circles():
    """The check above can fail: a package whose __init__ imports a module that imports it back."""
    assert circles({"p": {"p.a"}, "p.a": {"p"}, "q": set()}) == [["p", "p.a"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_readmes_layout_names_every_folder_of_the_kit():
    """README's "Layout" block lists the kit's top-level folders, no more and no less."""
    import re
    import subprocess

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    listed = set(re.findall(r"^([A-Za-z_.][\w.-]*)/", block, re.M))
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    folders = {path.split("/")[0] for path in tracked if "/" in path and not path.startswith(".")}
    assert listed == folders, (f"README's Layout lists {sorted(listed - folders)} that the kit does not hold "
                               f"and misses {sorted(folders - listed)}")
