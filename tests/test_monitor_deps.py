"""What the toolkit imports is what `pip install mlops-toolkit` installs (Parquet: the `parquet` extra),
and the tests run on the libraries a user gets, not on test-only pins of them."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
#: Import names that differ from the distribution's name.
DISTRIBUTION = {"yaml": "pyyaml", "sklearn": "scikit-learn"}
#: Imported only behind an extra, with an error naming it when missing (sources.py).
EXTRAS = {"pyarrow": "parquet"}
#: Brought by the DVC extra of the user's own remote (`dvc[s3]`), never by the toolkit: imported only
#: inside `try: ... except ImportError`, and the code works without it.
OPTIONAL = {"botocore": "dvc[s3]"}


def _project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        project: dict[str, object] = tomllib.load(f)["project"]
    return project


def _names(requirements: object) -> set[str]:
    assert isinstance(requirements, list)
    return {Requirement(r).name.lower() for r in requirements}


def _guarded(tree: ast.AST) -> set[ast.AST]:
    """The import statements inside a `try` whose handlers catch ImportError."""
    guarded: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
            for h in node.handlers
        ):
            guarded.update(n for stmt in node.body for n in ast.walk(stmt))
    return guarded


def _third_party_imports(*, guarded: bool = False) -> dict[str, str]:
    """Top-level third-party modules the toolkit imports -> the first file importing each.

    Imports inside `try: ... except ImportError` only with guarded=True.
    """
    found: dict[str, str] = {}
    for path in sorted((ROOT / "toolkit").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = set() if guarded else _guarded(tree)
        for node in ast.walk(tree):
            if node in skip:
                continue
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("toolkit", "__future__"):
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_import_is_a_declared_dependency() -> None:
    project = _project()
    dependencies = _names(project["dependencies"])
    extras = project["optional-dependencies"]
    assert isinstance(extras, dict)
    imports = _third_party_imports(guarded=True)
    assert {"numpy", "scipy", "pandas", "pyarrow"} <= set(imports)  # the scan sees toolkit/monitor
    for module, where in imports.items():
        if module in OPTIONAL:
            continue  # test_optional_imports_are_guarded
        name = DISTRIBUTION.get(module, module)
        if module in EXTRAS:
            assert name in _names(extras[EXTRAS[module]]), f"{module} ({where}) is not in its extra"
            assert name not in dependencies
        else:
            assert name in dependencies, f"{where} imports {module}, which pyproject.toml does not declare"


def test_optional_imports_are_guarded() -> None:
    unguarded = _third_party_imports()
    everything = _third_party_imports(guarded=True)
    assert set(OPTIONAL) <= set(everything)  # the scan sees them
    for module in OPTIONAL:
        assert module not in unguarded, f"{unguarded[module]} imports {module} outside try/except ImportError"


def test_the_test_extra_does_not_pin_what_users_get() -> None:
    project = _project()
    extras = project["optional-dependencies"]
    assert isinstance(extras, dict)
    runtime = _names(project["dependencies"])
    for spec in extras["test"]:
        requirement = Requirement(spec)
        # A runtime library with a test-only upper bound would test another version than users run.
        if requirement.name.lower() in runtime:
            assert not any(s.operator in ("<", "<=", "==", "~=") for s in requirement.specifier), spec
    assert "evidently" not in _names(extras["test"])  # its reference outputs are committed instead


def test_the_suite_runs_on_pandas_3() -> None:
    import pandas as pd

    # What `pip install mlops-toolkit` brings today; a pin in the test extra would hide its changes.
    assert int(pd.__version__.split(".")[0]) >= 3, pd.__version__
