"""The house rules of the layout (docs/architecture.md), checked from the source.

Imports are read with ``ast`` (nothing is imported), lazy imports inside
functions included: a circle closed by a lazy import is still a circle.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("fastlstm", "symbolic")
#: A module longer than this must be one cohesive thing, named here with the reason.
MAX_LINES = 500
LONG_MODULES = {
    "fastlstm.report": "every output format of trajectories and comparisons, on one column model",
}


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


MODULES = _modules()


def _resolve(module, is_package, node):
    """The absolute names an import statement refers to (modules, or module.attribute)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level:
        base = base[:len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module
    return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]


def _imports(module):
    """Project modules that ``module`` imports, anywhere in its body."""
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in _resolve(module, path.name == "__init__.py", node):
                # "from .sweeps import sweep" names the module fastlstm.sweeps.sweep
                # or the attribute sweep of fastlstm.sweeps: take the longest module.
                while name and name not in MODULES:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    found.add(name)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def _package_edges():
    """Edges between modules, leaving out a package's ``__init__`` re-exporting its own
    members (a package importing its children is how a public API is assembled)."""
    return {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in GRAPH.items()}


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_the_known_imports():
    # The walker itself: a few edges that must be there.
    assert "fastlstm._kernels.sequence" in GRAPH["fastlstm.run"]
    assert "fastlstm._config" in GRAPH["fastlstm._kernels.activations"]
    assert "fastlstm.report" in GRAPH["fastlstm.run"]  # a lazy import counts


def test_no_import_circles():
    assert _cycles(_package_edges()) == []


def test_a_circle_would_be_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_symbolic_never_imports_fastlstm():
    bad = {m: sorted(d for d in deps if d.startswith("fastlstm"))
           for m, deps in GRAPH.items() if m.startswith("symbolic")}
    assert {m: d for m, d in bad.items() if d} == {}


def test_kernels_import_only_the_numba_options():
    for m, deps in GRAPH.items():
        if m.startswith("fastlstm._kernels"):
            assert deps <= {"fastlstm._config"} | {d for d in MODULES
                                                  if d.startswith("fastlstm._kernels")}, m


@pytest.mark.parametrize("wing", ["fastlstm.sweeps", "fastlstm.automata", "fastlstm.dynamics"])
def test_wings_do_not_import_each_other_or_the_cli(wing):
    others = {"fastlstm.sweeps", "fastlstm.automata", "fastlstm.dynamics", "fastlstm.cli"} - {wing}
    for m, deps in GRAPH.items():
        if m == wing or m.startswith(wing + "."):
            bad = [d for d in deps if any(d == o or d.startswith(o + ".") for o in others)]
            assert bad == [], f"{m} imports {bad}"


def test_the_core_imports_no_wing():
    core = ("fastlstm.params", "fastlstm.presets", "fastlstm.semantics", "fastlstm.run",
            "fastlstm.compare", "fastlstm.report", "fastlstm._validate", "fastlstm._config",
            "fastlstm.cell", "fastlstm.readout", "fastlstm.weights", "fastlstm.frameworks")
    for m in core:
        wings = [d for d in GRAPH[m]
                 if d.startswith(("fastlstm.sweeps", "fastlstm.automata", "fastlstm.dynamics",
                                  "fastlstm.cli"))]
        assert wings == [], f"{m} imports {wings}"


def test_no_module_is_too_long():
    long = {m: len(p.read_text().splitlines()) for m, p in MODULES.items()}
    long = {m: n for m, n in long.items() if n > MAX_LINES and m not in LONG_MODULES}
    assert long == {}
