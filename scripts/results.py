"""``cheesemaze results``: write ``docs/results.md`` from the result files the project ships."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import tyro

from cheesemaze.scripts.args import refuse


@dataclass(frozen=True)
class ResultsConfig:
    """Write the results page from the shipped agents (agents/trained/) and the result folders under
    docs/results/ (compare/, sweep/); every number on it comes from those files."""

    results: Path = Path("docs/results")
    """The folder of shipped result folders: compare/ (cheesemaze compare) and sweep/ (cheesemaze analyze
    sweep)."""
    out: Path = Path("docs/results.md")
    """The page to write; it is generated, so it is replaced."""
    check: bool = False
    """Write nothing; exit 1 if the page differs from what the result files give (for CI)."""


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze results``; 2 for bad input, 1 when --check finds the page out of date."""
    config = tyro.cli(ResultsConfig, args=argv, prog=prog)
    from cheesemaze.analysis.results import results_markdown
    from cheesemaze.envs.files import write_atomic

    try:
        if not config.results.is_dir():
            raise ValueError(f"--results {config.results} is not a folder; run from the repository root")
        page = results_markdown(config.results, config.out)
    except ValueError as err:
        return refuse(prog, err, ResultsConfig)
    if config.check:
        current = config.out.read_text() if config.out.is_file() else ""
        if current != page:
            print(f"{prog}: {config.out} is out of date; run 'cheesemaze results'", file=sys.stderr)
            return 1
        print(f"{config.out} is up to date")
        return 0
    write_atomic(config.out, page)
    print(f"wrote {config.out}")
    return 0
