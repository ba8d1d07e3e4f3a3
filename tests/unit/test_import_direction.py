"""Dependencies point one way: edges → composition → plain functions → adapters → config.

A module may import modules of its own layer and of the layers below it, never above. On top:
adapters do not import each other, flows never reach Celery, and `processor` never imports `workers`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. Longest matching prefix decides a module's layer.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "config",
        (
            "processor.config",
            "processor.wix_event",
            "processor.logs",
            "processor.deadline",
            "processor.tls",
            "processor.metrics",
            "processor.retention_metrics",
        ),
    ),
    (
        "adapters",
        ("processor.store", "processor.wix", "processor.queue", "processor.events", "workers.notify"),
    ),
    (
        "plain functions",
        (
            "processor.meetings",
            "processor.replay",
            "processor.wix_budgets",  # picks the store's or Redis's budget: above both adapters
            "processor.event_filters",
            "workers.flows",
            "workers.retry_policy",
        ),
    ),
    (
        "composition",
        (
            "workers.wiring",
            "workers.processing",
            "workers.recovery",
            "workers.calendar_watcher",
            "workers.delivery",
            "workers.courier",
            "workers.privacy_requests",
            "workers.housekeeping",
        ),
    ),
    (
        "edges",
        (
            "processor.web",
            "processor.cli",
            "processor.devtools",
            "processor.__main__",
            "workers.tasks",
            "workers.celery_app",
            "workers",
        ),
    ),
]
ADAPTERS = LAYERS[1][1]
# Imports the layers would allow but these modules must not make: (importers, banned prefixes,
# banned exact names). Flows get `publish` through Deps; `from workers import app` is the Celery app.
FORBIDDEN: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    (
        "workers.flows",
        ("celery", "kombu", "processor.queue", "workers.tasks", "workers.wiring"),
        ("workers",),
    ),
    ("processor", ("workers",), ()),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every absolute import; `from pkg import mod` counts as `pkg.mod`."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [
                f"{node.module}.{a.name}" for a in node.names if _is_module(f"{node.module}.{a.name}")
            ]
            if submodules:
                yield from ((node.lineno, name) for name in submodules)
            else:
                yield node.lineno, node.module


def _matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _layer(module: str) -> int | None:
    if module == "processor":  # the package root holds nothing but its docstring
        return 0
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if _matches(module, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return best[1] if best else None


def _adapter_of(module: str) -> str | None:
    return next((a for a in ADAPTERS if _matches(module, a)), None)


def _violations(path: Path) -> list[str]:
    importer = _module_name(path)
    importer_layer = _layer(importer)
    found = []
    for line, imported in _imports(path):
        where = f"{path.relative_to(ROOT)}:{line}: {importer} imports {imported}"
        for scope, prefixes, exact in FORBIDDEN:
            if _matches(importer, scope) and (
                imported in exact or any(_matches(imported, prefix) for prefix in prefixes)
            ):
                found.append(f"{where} (forbidden for {scope})")
        imported_layer = _layer(imported)
        if importer_layer is None or imported_layer is None:
            continue
        if imported_layer > importer_layer:
            found.append(f"{where} ({LAYERS[importer_layer][0]} may not import {LAYERS[imported_layer][0]})")
        own, other = _adapter_of(importer), _adapter_of(imported)
        if own and other and own != other:
            found.append(f"{where} (adapters do not import each other)")
    return found


def _sources() -> list[Path]:
    return sorted(p for package in ("processor", "workers") for p in (ROOT / package).rglob("*.py"))


def test_every_module_imports_only_its_own_layer_and_below() -> None:
    violations = [v for path in _sources() for v in _violations(path)]

    assert violations == []


def test_every_module_has_a_layer() -> None:
    unplaced = [_module_name(p) for p in _sources() if _layer(_module_name(p)) is None]

    assert unplaced == []


@pytest.mark.parametrize(
    ("importer", "source", "rule"),
    [
        ("processor/store/inbox.py", "from processor.events import decode_webhook\n", "adapters"),
        ("workers/flows/calendar_sync.py", "from workers import app\n", "forbidden"),
        ("workers/flows/cancellations.py", "import celery\n", "forbidden"),
        ("processor/meetings/links.py", "from processor.cli.output import echo_json\n", "may not import"),
        ("processor/web/admin.py", "import workers.tasks\n", "forbidden"),
    ],
)
def test_an_import_against_the_direction_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, importer: str, source: str, rule: str
) -> None:
    fake_root = tmp_path / "repo"
    target = fake_root / importer
    target.parent.mkdir(parents=True)
    target.write_text(source)
    for package in ("processor", "workers"):
        for init in (ROOT / package).rglob("__init__.py"):
            copy = fake_root / init.relative_to(ROOT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.touch()
    for module in ("processor/events.py", "processor/cli/output.py", "workers/tasks.py"):
        (fake_root / module).touch()
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", fake_root)

    violations = _violations(target)

    assert any(rule in v for v in violations), violations
