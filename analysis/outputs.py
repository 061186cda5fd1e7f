"""Result folders that appear whole or not at all, and never replace an earlier command's results."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cheesemaze.envs.files import current_umask


def numbered_paths(path: Path) -> Iterator[Path]:
    """``path``, ``path-2``, ``path-3``, ...: the names results of one kind take in turn."""
    path = Path(path)
    yield path
    k = 2
    while True:
        yield path.with_name(f"{path.name}-{k}")
        k += 1


def fresh_path(path: Path) -> Path:
    """``path`` if nothing is there yet, else the first free ``path-2``, ``path-3``, ..."""
    return next(p for p in numbered_paths(path) if not p.exists())


@contextmanager
def staged_dir(final: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``final``; on success rename it to ``final``, on any error
    (Ctrl-C included) delete it, so ``final`` either holds every file or does not exist.

    Raises ``FileExistsError`` if ``final`` exists, before and after the work.
    """
    final = Path(final)
    if final.exists():
        raise FileExistsError(f"{final} already exists; results are never overwritten, choose another folder")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    try:
        yield staging
        staging.chmod(0o777 & ~current_umask())  # mkdtemp's folder is the owner's only
        try:
            os.rename(staging, final)
        except OSError as err:
            # rename onto an existing non-empty folder fails on POSIX, which is what we want.
            raise FileExistsError(f"{final} appeared while this command ran; results left unwritten") from err
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def check_writable(path: Path) -> None:
    """Raise ``ValueError`` unless ``path`` could be created: its nearest existing ancestor must be a
    writable folder (a shipped agent installed read-only, say, is not)."""
    folder = Path(path).absolute()
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise ValueError(f"cannot write {path}: {folder} is not a writable folder; pass --out elsewhere")


def write_results(out_dir: Path, tables: dict, report: str, summary: dict, figures: dict) -> None:
    """A study's folder, whole or not at all: ``<name>.csv`` per table (pandas DataFrames),
    ``report.md``, ``summary.json`` and ``figures/<name>.png|pdf`` per figure.

    ``figures`` maps a name to ``(caption, figure)``; the report ends with each figure shown under its
    caption, so a reader of ``report.md`` sees them where it renders (GitHub) and finds them where not.
    """
    import json

    from cheesemaze.analysis.figures.canvas import save_figure

    shown = [f"**{caption}**\n\n![{name}](figures/{name}.png)\n" for name, (caption, _) in figures.items()]
    text = "\n".join([report.rstrip("\n") + "\n", *(["## Figures\n", *shown] if shown else [])])
    with staged_dir(Path(out_dir)) as staging:
        for name, table in tables.items():
            table.to_csv(staging / f"{name}.csv", index=False)
        (staging / "report.md").write_text(text)
        (staging / "summary.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
        (staging / "figures").mkdir()
        for name, (_, fig) in figures.items():
            save_figure(fig, staging / "figures" / name)
