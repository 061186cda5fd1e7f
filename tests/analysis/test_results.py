"""The results page is generated: the committed docs/results.md is what the shipped result files give."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from cheesemaze.analysis.results import headline, results_markdown
from cheesemaze.scripts.main import main

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "results"
PAGE = ROOT / "docs" / "results.md"


def test_the_committed_page_is_what_the_result_files_give():
    # after shipping agents or a new comparison, run 'cheesemaze results' and commit the page
    assert PAGE.read_text() == results_markdown(RESULTS, PAGE)


def test_missing_result_folders_are_named_with_the_command_that_makes_them(tmp_path):
    page = results_markdown(tmp_path, tmp_path / "results.md")
    assert "Not computed yet: `cheesemaze compare r5 control --out docs/results/compare` writes it." in page
    assert "## The region sweep\n\nNot yet trained" in page and "cheesemaze analyze sweep runs/zoo" in page


def test_the_comparison_links_its_figure_relative_to_the_page(tmp_path):
    shutil.copytree(RESULTS / "compare", tmp_path / "data" / "compare")
    page = results_markdown(tmp_path / "data", tmp_path / "docs" / "results.md")
    assert "![compare.png](../data/compare/compare.png)" in page
    assert "\n# r5 against control" not in page and "\n### Agents" in page  # its headings one level down


def test_the_headline_reads_one_pair_or_seeds():
    summary = json.loads((RESULTS / "compare" / "compare.json").read_text())
    one = headline(summary)
    pair = summary["pairs"][0]
    assert f"On the {pair['paired_mazes']} held-out cheese-anywhere mazes" in one
    assert f"{summary['agents_a'][0]['p_cheese']:.3f}" in one and f"p = {pair['mcnemar_p_cheese']:.1e}" in one
    seeds = copy.deepcopy(summary)
    seeds["across_seeds"] = [{"measure": "cheese", "seed_pairs": 5, "mean_diff": -0.05, "low": -0.09, "high": -0.01},
                             {"measure": "top_right", "seed_pairs": 5, "mean_diff": 0.2, "low": 0.1, "high": 0.3}]
    assert headline(seeds).startswith("Over 5 seed pairs") and "-0.090 to -0.010" in headline(seeds)


def test_results_check_says_whether_the_page_is_current(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["results", "--check"]) == 0
    stale = tmp_path / "results.md"
    stale.write_text("# Results\n\nby hand\n")
    assert main(["results", "--check", "--out", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err and stale.read_text() == "# Results\n\nby hand\n"
