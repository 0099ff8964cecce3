"""The package's layers, read from the source: no import cycles, and each layer imports only what
ARCHITECTURE.md allows (imports inside functions count too, so a cycle cannot hide there)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "b24app"
SANDBOXES = ROOT / "sandboxes" / "b24sandbox"

# layer -> the layers it may import (besides itself). `config`, `manifest` are core-level settings.
ALLOWED = {
    "core": set(),
    "config": set(),
    "manifest": set(),
    "onec": {"core", "config"},
    "store": {"core", "config"},
    "bitrix": {"core", "config", "store", "manifest"},
    "sync": {"core", "config", "bitrix", "onec", "store", "commerceml"},
    # CommerceML files (issue 16): 1C's "exchange with a website" formats, read and written like a client's.
    "commerceml": {"core", "config", "store"},
    "jobs": {"core", "config", "bitrix", "onec", "store", "sync", "runtime", "ops", "commerceml"},
    # Operations (metrics, retention, log context): reads of the store and Redis, below jobs, web and cli.
    "ops": {"core", "config", "store"},
    "runtime": {"core", "config", "bitrix", "onec", "store", "jobs", "manifest"},
    "web": {"core", "config", "bitrix", "onec", "store", "sync", "jobs", "runtime", "manifest", "ops", "commerceml"},
    "cli": {"core", "config", "bitrix", "onec", "store", "sync", "jobs", "runtime", "manifest", "demo", "web",
            "ops"},
    "demo": {"core", "config", "bitrix", "onec", "store", "sync", "jobs", "runtime", "manifest", "demo_links", "web"},
    "demo_links": {"core", "config", "bitrix", "onec", "store", "sync", "runtime"},
}


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in APP.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "package"


def test_no_import_cycles():
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    # A package's __init__ importing its own modules is not a cycle worth reporting.
    cycles = [c for c in cycles if not any(c[i + 1].startswith(c[i] + ".") for i in range(len(c) - 1))]
    assert cycles == []


# The one crossing the table does not show: the bases store hands out the 1C connection value it decrypts
# (`onec.base.OneCBase`, a dataclass with no behaviour).
EXCEPTIONS = {("b24app.store.bases", "b24app.onec.base")}


def test_each_layer_imports_only_what_it_may():
    wrong = []
    for module, imported in _graph().items():
        layer = _layer(module)
        if layer not in ALLOWED:
            continue
        for other in imported:
            target = _layer(other)
            if (target != layer and target not in ALLOWED[layer] and target != "package"
                    and (module, other) not in EXCEPTIONS and (module, other.rsplit(".", 1)[0]) not in EXCEPTIONS):
                wrong.append(f"{module} -> {other}")
    assert wrong == []


def test_the_domain_takes_no_runtime_flask_or_redis():
    for path in (APP / "sync").rglob("*.py"):
        imported = _imports(path)
        assert not any(m.startswith(("b24app.runtime", "flask", "redis", "rq")) for m in imported), path


def test_the_sandboxes_import_nothing_of_the_app():
    for path in SANDBOXES.rglob("*.py"):
        assert not any(m == "b24app" or m.startswith("b24app.") for m in _imports(path)), path
