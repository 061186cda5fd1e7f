"""Every folder of Python code under the four layers is a package that a (non-editable) install ships,
and the repository root is the package ``cheesemaze`` itself, whose import registers the gymnasium env.

An editable install finds any subfolder, so a subpackage missing from ``pyproject.toml`` only breaks
``pip install .``; this catches it in the default suite.
"""

from __future__ import annotations

import subprocess
import sys
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
    assert "cheesemaze" in listed
    assert setuptools["package-dir"] == {"cheesemaze": ".", **{f"cheesemaze.{layer}": layer for layer in LAYERS}}


def test_the_root_package_holds_one_module():
    # the root maps to the package cheesemaze, so any other .py file here would ship as cheesemaze.<name>
    assert sorted(p.name for p in ROOT.glob("*.py")) == ["__init__.py"]


def test_importing_cheesemaze_registers_the_env():
    # a fresh interpreter: this test process has long since imported cheesemaze.envs
    code = "import gymnasium, cheesemaze; env = gymnasium.make(cheesemaze.ENV_ID); print(env.spec.id)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cheesemaze/Maze-v0"]


def test_every_shipped_agent_file_is_package_data():
    # the zoo's agents lie at trained/<condition>/s<seed>/checkpoints/final.pt: four levels below agents/
    from fnmatch import fnmatchcase

    from cheesemaze.analysis.evaluation import EVALUATIONS_DIR

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "cheesemaze.agents"]
    for path in (ROOT / "agents" / "trained").rglob("*"):
        # evaluations that compare keeps beside a shipped agent are a local cache (ignored by git), not shipped
        if path.is_file() and EVALUATIONS_DIR not in path.parts:
            relative = path.relative_to(ROOT / "agents").as_posix()
            # setuptools' '*' does not cross '/': a pattern matches only files as deep as it is
            assert any(fnmatchcase(relative, p) and relative.count("/") == p.count("/") for p in patterns), relative
    assert any(p.count("/") == 4 for p in patterns), "the zoo's checkpoints (trained/*/*/*/*) are not shipped"
