"""Every folder of Python code under the four layers is a package that a (non-editable) install ships.

An editable install finds any subfolder, so a subpackage missing from ``pyproject.toml`` only breaks
``pip install .``; this catches it in the default suite.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("envs", "agents", "analysis", "scripts")


def code_folders() -> list[Path]:
    return sorted({p.parent for layer in LAYERS for p in (ROOT / layer).rglob("*.py")})


def test_every_code_folder_is_a_listed_package():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    for folder in code_folders():
        relative = folder.relative_to(ROOT)
        name = ".".join(["cheesemaze", *relative.parts])
        assert (folder / "__init__.py").exists(), f"{relative}/ holds modules but no __init__.py"
        assert name in listed, f"{name} ({relative}/) is missing from [tool.setuptools] packages in pyproject.toml"
    assert setuptools["package-dir"] == {f"cheesemaze.{layer}": layer for layer in LAYERS}
