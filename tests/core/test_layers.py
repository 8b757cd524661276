"""The layers as DESIGN.md draws them, read from the source with `ast`: no import cycle
among registry/, web/ and deploy/; the core imports neither Flask nor click; query text is
written in the core with its prefixes from `vocab`, and web/ holds none."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {"registry": "tinyreg.registry", "web": "tinyreg.web", "deploy": "tinyreg.deploy"}


def modules() -> dict[str, Path]:
    """Every module of the three packages by its dotted name (a package by its __init__)."""
    out = {}
    for folder, package in PACKAGES.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = list(path.relative_to(REPO / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([package, *parts])] = path
    return out


def _typing_only(tree: ast.AST) -> set[int]:
    """The nodes under `if TYPE_CHECKING:`, which never run."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    return skipped


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `name` imports, at its top or inside a function alike: a lazy
    import is an import all the same once it runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _typing_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            if target in known and target != name:
                found.add(target)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(name, path, known) for name, path in known.items()}


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_registry_web_and_deploy():
    graph = import_graph()
    assert len(graph) > 100  # the walk read the packages
    assert cycles(graph) == []


def test_the_core_imports_no_web_framework_and_no_front_end():
    for name, path in modules().items():
        if not name.startswith("tinyreg.registry"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""])
                for target in names:
                    top = target.split(".")[0]
                    assert top not in ("flask", "click", "werkzeug", "waitress"), (name, target)
                    assert not target.startswith(("tinyreg.web", "tinyreg.deploy")), (name, target)


# A PREFIX declaration written into source text: they are built from vocab.PREFIXES.
_PREFIX = re.compile(r"PREFIX\s+[A-Za-z][\w-]*\s*:\s*<")


@pytest.mark.parametrize("folder", sorted(PACKAGES))
def test_query_prefixes_come_from_vocab(folder):
    found = [f"{path.relative_to(REPO)}:{n}" for path in sorted((REPO / folder).rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if _PREFIX.search(line)]
    assert found == []


# Query text: a SELECT of variables, or any query form with its WHERE block.
_QUERY = re.compile(r"\bSELECT\s+(DISTINCT\s+)?[?*(]|\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b[^\n]*\bWHERE\s*\{",
                    re.IGNORECASE)


def test_web_holds_no_query_text():
    """The web layer parses, calls the core and renders: every query is the core's (the
    SPARQL endpoint passes users' queries through)."""
    found = []
    for path in sorted((REPO / "web").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and _QUERY.search(node.value):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert found == []
    assert _QUERY.search("SELECT ?d WHERE { ?d a tr:Device }")  # the pattern finds query text


def made_up_arguments(source: str) -> list[int]:
    """The lines where a call is given a mapping written on the spot (`{...}`, `dict(...)`,
    a `**{...}`): a query string made up in a view instead of the core's typed arguments."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for value in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(value, ast.Dict) or (
                    isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                    and value.func.id == "dict"):
                found.append(value.lineno)
    return found


def test_the_dashboard_views_make_up_no_query_strings():
    """A dashboard page parses its request into the core's typed filters and pages (web/
    api/args.py) and calls the same registry method as its API twin: no made-up argument
    dicts (as `question(registry, iri, {"explain": "1", "limit": SHOWN})` was)."""
    assert made_up_arguments('question(registry, iri, {"explain": "1", "limit": 100})') == [1]
    assert made_up_arguments('listing(registry, dict(request.args, limit="40"))') == [1]
    assert made_up_arguments('registry.compat.fit_of_model(iri, 100)') == []
    views = REPO / "web" / "dashboard" / "views.py"
    assert made_up_arguments(views.read_text(encoding="utf-8")) == []
