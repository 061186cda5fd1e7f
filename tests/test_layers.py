"""Imports run one way, scripts -> analysis -> agents -> envs, and heavy libraries stay where they belong.

Every import statement of every module (function-level ones included) is read with ``ast``, so a
lazy import cannot slip past.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("envs", "agents", "analysis", "scripts")  # lowest first
# Bare folder names must never be imported: the installed names are cheesemaze.<layer>.
TOP_LEVEL_NAMES = set(LAYERS)


def modules() -> list[Path]:
    return sorted(p for layer in LAYERS for p in (ROOT / layer).rglob("*.py"))


def imported_names(path: Path) -> list[str]:
    """Absolute module names imported anywhere in the file (relative imports resolved)."""
    return names_in(path.read_text(), ["cheesemaze", *path.relative_to(ROOT).parent.parts])


def names_in(source: str, package: list[str]) -> list[str]:
    """Absolute module names imported anywhere in ``source``, a module of ``package``."""
    tree = ast.parse(source)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # "from a.b import c" may import the module a.b.c, so each name counts as a.b.c.
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names += [f"{module}.{alias.name}" for alias in node.names]
    return names


def eager_names(path: Path) -> list[str]:
    """The absolute module names that importing the file imports at once (not inside a function)."""
    package = ["cheesemaze", *path.relative_to(ROOT).parent.parts]
    tree = ast.parse(path.read_text())
    names = []
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names += names_in(ast.unparse(node), package)
        else:
            todo += list(ast.iter_child_nodes(node))
    return names


def module_files(name: str) -> list[Path]:
    """The files that importing the cheesemaze module ``name`` runs: its packages' ``__init__`` and
    the longest prefix of ``name`` that is a module (none for other libraries)."""
    parts = name.split(".")
    if parts[0] != "cheesemaze" or len(parts) < 2 or parts[1] not in LAYERS:
        return []
    files = [ROOT.joinpath(*parts[1:end], "__init__.py") for end in range(2, len(parts) + 1)]
    files = [f for f in files if f.is_file()]
    for end in range(len(parts), 1, -1):
        module = ROOT.joinpath(*parts[1:end]).with_suffix(".py")
        if module.is_file():
            return [*files, module]
    return files


def loaded_on_import(path: Path) -> set[str]:
    """Every module name that importing ``path`` imports, followed through the cheesemaze modules
    it loads (function-level imports are left out: they run later, if ever)."""
    module = ".".join(["cheesemaze", *path.relative_to(ROOT).with_suffix("").parts])
    todo, seen, names = module_files(module), set(), set()
    while todo:
        file = todo.pop()
        if file in seen:
            continue
        seen.add(file)
        for name in eager_names(file):
            names.add(name)
            todo += module_files(name)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def layer_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0]


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def vecenv_module(path: Path) -> bool:
    """The envs modules that implement SB3's VecEnv (native and procgen)."""
    return path.name == "native.py" or path.name.startswith("procgen")


def test_every_layer_has_modules():
    found = {layer_of(p) for p in modules()}
    assert found == set(LAYERS)


@pytest.mark.parametrize("path", modules(), ids=rel)
def test_imports_go_downward_only(path):
    rank = LAYERS.index(layer_of(path))
    for name in imported_names(path):
        assert top(name) not in TOP_LEVEL_NAMES, f"{rel(path)} imports {name!r}; use cheesemaze.{name}"
        parts = name.split(".")
        if parts[0] == "cheesemaze" and len(parts) > 1 and parts[1] in LAYERS:
            assert LAYERS.index(parts[1]) <= rank, f"{rel(path)} ({layer_of(path)}) imports upward: {name}"


@pytest.mark.parametrize("path", [p for p in modules() if layer_of(p) == "envs"], ids=rel)
def test_envs_needs_no_torch_or_sb3_beyond_the_vecenv_base(path):
    # The VecEnv base class is the one stable-baselines3 piece the envs implement (native and procgen).
    for name in imported_names(path):
        assert top(name) != "torch", f"{rel(path)} imports {name}"
        if top(name) == "stable_baselines3":
            assert vecenv_module(path) and name.startswith("stable_baselines3.common.vec_env"), (
                f"{rel(path)} imports {name}; envs may only import SB3's VecEnv base, in native.py or procgen*.py"
            )


@pytest.mark.parametrize("path", [p for p in modules() if layer_of(p) == "envs" and not vecenv_module(p)],
                         ids=rel)
def test_envs_beside_the_vecenvs_load_no_sb3_or_torch(path):
    # The game, mazes, text and geometry are read by code that never steps an env (the CLI's parsers,
    # analysis, figures): importing them, and all they import in turn, must not pull in SB3 or torch.
    heavy = sorted(n for n in loaded_on_import(path) if top(n) in ("stable_baselines3", "torch"))
    assert not heavy, f"importing {rel(path)} imports {heavy}"


def test_the_game_module_runs_without_sb3():
    code = "import sys, cheesemaze.envs.game; print('stable_baselines3' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# What one script may import of another: the shared argument types, and the command table.
SHARED_SCRIPT_MODULES = ("cheesemaze.scripts.args", "cheesemaze.scripts.main")


@pytest.mark.parametrize("path", [p for p in modules() if layer_of(p) in ("analysis", "scripts")], ids=rel)
def test_no_analysis_module_imports_a_script_and_no_script_another(path):
    # A script is a parser and a call into analysis/; what two commands share lives below them.
    for name in imported_names(path):
        if not name.startswith("cheesemaze.scripts"):
            continue
        assert layer_of(path) == "scripts", f"{rel(path)} imports {name}; analysis/ may not import scripts"
        assert name.startswith(tuple(f"{m}." for m in SHARED_SCRIPT_MODULES)), (
            f"{rel(path)} imports {name}; a script may import only {', '.join(SHARED_SCRIPT_MODULES)}"
        )


@pytest.mark.parametrize("path", modules(), ids=rel)
def test_procgen_only_in_procgen_modules(path):
    for name in imported_names(path):
        if top(name) in ("procgen", "gym3"):
            assert path.name.startswith("procgen"), f"{rel(path)} imports {name}; only procgen*.py modules may"


@pytest.mark.parametrize("path", modules(), ids=rel)
def test_matplotlib_only_in_analysis_figures(path):
    in_figures = path.relative_to(ROOT).parts[:2] == ("analysis", "figures")
    for name in imported_names(path):
        if top(name) == "matplotlib":
            assert in_figures, f"{rel(path)} imports {name}; only analysis/figures/ may import matplotlib"


def test_the_import_reader_sees_lazy_and_relative_imports():
    # The rules are only as good as the import reader.
    source = "import numpy as np\ndef f():\n    import matplotlib.pyplot\nfrom .text import x\nfrom .. import agents\n"
    assert sorted(names_in(source, ["cheesemaze", "envs"])) == [
        "cheesemaze.agents", "cheesemaze.envs.text.x", "matplotlib.pyplot", "numpy"
    ]


def test_the_load_follower_skips_function_level_imports_and_follows_packages():
    # envs/__init__.py imports the VecEnv only inside __getattr__; importing the game runs the package.
    game = loaded_on_import(ROOT / "envs" / "game.py")
    assert "cheesemaze.envs.native.NativeMazeVecEnv" not in game
    assert "gymnasium" in game and "cheesemaze.envs.maze.generate_maze" in game
    assert any(top(n) == "stable_baselines3" for n in loaded_on_import(ROOT / "envs" / "procgen_env.py"))
