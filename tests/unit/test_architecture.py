"""DESIGN's "may import" table, enforced: the import-linter contracts in pyproject.toml hold on the repo,
and a deliberately wrong import in a copy of it breaks the contract it should, naming the import."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS.exists(), "import-linter is not installed: pip install -r requirements-dev.txt"
    # Wide columns: the report wraps long contract names at the terminal's width otherwise.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={**os.environ, "COLUMNS": "500"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_repo_keeps_every_contract() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo's packages and import-linter configuration, copied where a test may break them."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copy(REPO / "pyproject.toml", root)
    for package in ("shared", "functions"):
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "static"))
    return root


@pytest.mark.parametrize(
    ("module", "wrong", "contract"),
    [
        ("shared/sync/__init__.py", "shared.store", "core"),
        ("shared/sync/__init__.py", "shared.errors", "core"),
        ("shared/models/__init__.py", "shared.sync", "models"),
        ("functions/__init__.py", "shared.store.entities", "triggers"),
        ("shared/service/__init__.py", "shared.graph.pages", "service"),
        ("shared/service/__init__.py", "shared.psa.directory", "service"),
        ("shared/graph/__init__.py", "shared.store.names", "adapters"),
        ("shared/store/__init__.py", "shared.psa.port", "adapters"),
        ("shared/service/__init__.py", "shared.devtools.simulator", "fence"),
        ("shared/store/__init__.py", "shared.cli", "fence"),
    ],
)
def test_a_wrong_import_breaks_its_contract_naming_the_import(
    copy: Path, module: str, wrong: str, contract: str
) -> None:
    path = copy / module
    original = path.read_text()
    path.write_text(f"import {wrong}  # deliberately wrong\n{original}")
    try:
        result = _lint_imports(copy)
    finally:
        path.write_text(original)
    importer = module.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    assert result.returncode != 0, result.stdout
    assert f"{_contracts()[contract]['name']} BROKEN" in result.stdout
    assert f"{importer} -> {wrong} (l.1)" in result.stdout
    assert "0 broken" not in result.stdout and " 1 broken." in result.stdout


def test_the_fence_names_every_part_of_the_app() -> None:
    """A new package under shared/ must take its place in DESIGN's table (and the contracts) to be fenced."""
    parts = {p.stem for p in (REPO / "shared").iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    parts -= {"__init__", "devtools", "cli"}
    fenced = set(_contracts()["fence"]["source_modules"])
    assert fenced == {f"shared.{part}" for part in parts} | {"functions"}


def test_function_app_imports_only_the_triggers() -> None:
    # function_app.py is a module, not a package: import-linter cannot take it as a root.
    tree = ast.parse((REPO / "function_app.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    ours = {name for name in imported if not name.startswith("azure.")}
    assert all(name == "functions" or name.startswith("functions.") for name in ours), ours


def test_the_cli_imports_the_dev_tools_only_inside_the_commands_that_use_them() -> None:
    """`python -m shared.cli runs` must work where the dev tools are not installed."""
    for path in (REPO / "shared" / "cli").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only: imports inside functions are lazy
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n.startswith("shared.devtools")], f"{path.name}:{node.lineno}"
