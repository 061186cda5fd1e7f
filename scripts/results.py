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
    docs/results/ (compare/, sweep/), and the README's quoted headline from compare/; every number in
    them comes from those files."""

    results: Path = Path("docs/results")
    """The folder of shipped result folders: compare/ (cheesemaze compare) and sweep/ (cheesemaze analyze
    sweep)."""
    out: Path = Path("docs/results.md")
    """The page to write; it is generated, so it is replaced."""
    readme: Path = Path("README.md")
    """The README whose quoted block (lines starting '> ') is the comparison's headline; only that block
    is replaced."""
    check: bool = False
    """Write nothing; exit 1 if the page or the README's headline differs from what the result files give."""


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze results``; 2 for bad input, 1 when --check finds the page out of date."""
    config = tyro.cli(ResultsConfig, args=argv, prog=prog)
    from cheesemaze.analysis.results import readme_with_headline, results_markdown
    from cheesemaze.envs.files import write_atomic

    try:
        if not config.results.is_dir():
            raise ValueError(f"--results {config.results} is not a folder; run from the repository root")
        if not config.readme.is_file():
            raise ValueError(f"--readme {config.readme} is not a file; run from the repository root")
        page = results_markdown(config.results, config.out)
        readme = config.readme.read_text()
        written = {config.out: page, config.readme: readme_with_headline(readme, config.results)}
    except ValueError as err:
        return refuse(prog, err, ResultsConfig)
    if config.check:
        stale = [str(path) for path, text in written.items() if (path.read_text() if path.is_file() else "") != text]
        if stale:
            print(f"{prog}: {' and '.join(stale)} out of date; run 'cheesemaze results'", file=sys.stderr)
            return 1
        print(f"{config.out} and {config.readme} are up to date")
        return 0
    for path, text in written.items():
        if path == config.out or text != readme:
            write_atomic(path, text)
            print(f"wrote {path}")
    return 0
