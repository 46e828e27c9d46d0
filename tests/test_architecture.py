"""The house: layers import downward only, no private reach across packages, no module
over ~500 lines, and a dose is parsed once (when the design is read)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mtorsim

PACKAGE = Path(mtorsim.__file__).resolve().parent
#: floors, lowest first (ARCHITECTURE.md); kernel modules at the top level are floor 0
LAYERS = {
    "knowledge": 1,
    "pathway": 2,
    "pharmacology": 2,
    "response": 3,
    "tumour": 4,
    "trials": 5,
    "inference": 6,
    "reports": 7,
    "cli": 8,
}
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _layer(path: Path) -> str | None:
    rel = path.relative_to(PACKAGE).parts
    if rel == ("__main__.py",):
        return "cli"  # `python -m mtorsim` is the command line
    return rel[0] if len(rel) > 1 else None


def _imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mtorsim"):
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.startswith("mtorsim")]
    return out


def test_layers_import_downward_only() -> None:
    upward = []
    for path in _modules():
        here = _layer(path)
        rank = LAYERS.get(here, 0) if here else 0
        for module, _names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            parts = module.split(".")
            target = parts[1] if len(parts) > 1 else None
            if target in LAYERS and LAYERS[target] > rank:
                upward.append(f"{path.relative_to(PACKAGE)} imports {module}")
            if target in LAYERS and here in LAYERS and target != here:
                assert LAYERS[target] != rank or {here, target} <= {"pathway", "pharmacology"}
    assert upward == []


def test_pathway_and_pharmacology_do_not_import_each_other() -> None:
    for path in _modules():
        here = _layer(path)
        if here not in ("pathway", "pharmacology"):
            continue
        other = "pharmacology" if here == "pathway" else "pathway"
        for module, _ in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            assert not module.startswith(f"mtorsim.{other}"), (path, module)


def test_no_private_names_cross_packages() -> None:
    """Nothing imports a _private name from another package of mtorsim."""
    bad = []
    for path in _modules():
        here = _layer(path)
        for module, names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            parts = module.split(".")
            there = parts[1] if len(parts) > 1 else None
            for n in names:
                if n.startswith("_") and not n.startswith("__") and there != here:
                    bad.append(f"{path.relative_to(PACKAGE)}: {module}.{n}")
    assert bad == []


def test_no_private_attribute_calls_on_other_objects() -> None:
    """No module reaches into another object's privates (``x._method``); ``self`` and
    ``cls`` are the object's own, and a class may read its own kind's (``other._x``)."""
    bad = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (
                    isinstance(node.value, ast.Name) and node.value.id in ("self", "cls", "other")
                )
            ):
                bad.append(f"{path.relative_to(PACKAGE)}:{node.lineno} .{node.attr}")
    assert bad == []


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_a_dose_is_parsed_once_when_the_design_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Following a dose from the design to PFS: after the design (and the package's data
    files) are read, running the trial never parses regimen text again."""
    from mtorsim.pharmacology import regimen
    from mtorsim.pharmacology.systemic import load_systemic
    from mtorsim.trials import load_design, run_trial

    design = load_design("bolero-2")
    load_systemic()

    def refuse(text: str) -> object:
        raise AssertionError(f"regimen {text!r} parsed during the run")

    monkeypatch.setattr(regimen, "parse_regimen", refuse)
    r = run_trial(design, n_patients=8, seed=1)
    assert len(r.patients) == 8
