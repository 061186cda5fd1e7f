"""The results page is generated: the committed docs/results.md is what the shipped result files give."""

from __future__ import annotations

import copy
import json
import shlex
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from cheesemaze.agents.rundir import shipped_agents
from cheesemaze.analysis.results import compare_command, headline, readme_with_headline, results_markdown
from cheesemaze.scripts.main import main

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "results"
PAGE = ROOT / "docs" / "results.md"


def test_the_committed_page_is_what_the_result_files_give():
    # after shipping agents or a new comparison, run 'cheesemaze results' and commit the page
    assert PAGE.read_text() == results_markdown(RESULTS, PAGE)


def test_missing_result_folders_are_named_with_the_command_that_makes_them(tmp_path):
    page = results_markdown(tmp_path, tmp_path / "results.md")
    # the zoo is shipped, so the page asks for every r5 seed against every control seed
    assert 'Not computed yet: `cheesemaze compare "r5/*" "control/*" --out docs/results/compare` writes it.' in page
    assert "## The region sweep\n\nNot yet trained" in page and "cheesemaze analyze sweep agents/trained" in page


def test_the_region_sweep_shows_the_hypotheses_gains_against_r_where_that_study_drew_two_regions(tmp_path,
                                                                                                  monkeypatch):
    from cheesemaze.analysis import results

    assert "![region_sweep.png]" not in results_markdown(tmp_path, tmp_path / "results.md")
    (tmp_path / "hypotheses" / "figures").mkdir(parents=True)
    rows = "condition,region,model,seeds,gain,gain_low,gain_high\n"
    (tmp_path / "hypotheses" / "region_sweep.csv").write_text(rows + "r5,5,utility,5,0.1,0,0.2\n"
                                                              "control,anywhere,utility,5,0,-0.1,0.1\n")
    assert "![region_sweep.png]" not in results_markdown(tmp_path, tmp_path / "results.md")  # r5 alone: no trend
    (tmp_path / "hypotheses" / "region_sweep.csv").write_text(rows + "r0,0,utility,1,0.3,,\nr5,5,utility,5,0.1,0,0.2\n")
    (tmp_path / "hypotheses" / "across.csv").write_text("target,source\nr0/s0,r0/s0\nr5/s0,r5/s0\n"
                                                        "control/s0,control/s0\n")
    trials = [SimpleNamespace(name=n) for n in ("r0/s0", "r2/s0", "r5/s0", "r10/s0", "control/s0")]
    monkeypatch.setattr(results, "sweep_trials", lambda folder: trials)  # the order a region sweep reads
    page = results_markdown(tmp_path, tmp_path / "docs" / "results.md")
    section = page[page.index("## The region sweep"):page.index("## Hypotheses")]
    assert "![region_sweep.png](../hypotheses/figures/region_sweep.png)" in section
    ran = 'cheesemaze analyze hypotheses "r0/*" "r5/*" "control/*" --out docs/results/hypotheses'
    assert f"from `{ran}`" in section  # the command its data came from
    assert ('Shipped but not in this study: r2, r10; `cheesemaze analyze hypotheses "r0/*" "r2/*" "r5/*" "r10/*" '
            '"control/*" --out docs/results/hypotheses` covers every shipped condition.') in section


def test_a_hypotheses_study_older_than_a_shipped_region_says_which_it_lacks(tmp_path, monkeypatch):
    from cheesemaze.analysis import results

    folder = tmp_path / "hypotheses"
    folder.mkdir()
    (folder / "report.md").write_text("# H\n\n## In plain words\n\nx\n\n## Per condition, across seeds\n\ny\n\n"
                                      "## Shutdown cell, per agent\n\nz\n")
    (folder / "across.csv").write_text("target,source\nr5/s0,r5/s0\ncontrol/s0,control/s0\n")
    trials = [SimpleNamespace(name=n) for n in ("r0/s0", "r5/s0", "control/s0")]
    monkeypatch.setattr(results, "sweep_trials", lambda folder: trials)
    page = results_markdown(tmp_path, tmp_path / "results.md")
    section = page[page.index("## Hypotheses"):]
    assert section.startswith('## Hypotheses\n\nFrom `cheesemaze analyze hypotheses "r5/*" "control/*" --out')
    assert ('Shipped but not in this study: r0; `cheesemaze analyze hypotheses "r0/*" "r5/*" '
            '"control/*" --out docs/results/hypotheses` covers every shipped condition.') in section


def test_the_comparison_links_its_figure_relative_to_the_page(tmp_path):
    shutil.copytree(RESULTS / "compare", tmp_path / "data" / "compare")
    page = results_markdown(tmp_path / "data", tmp_path / "docs" / "results.md")
    assert "![compare.png](../data/compare/compare.png)" in page
    assert "\n# r5 against control" not in page and "\n### Agents" in page  # its headings one level down


def test_the_headline_reads_one_pair_or_seeds():
    summary = json.loads((RESULTS / "compare" / "compare.json").read_text())
    summary = {**summary, "agents_a": summary["agents_a"][:1], "agents_b": summary["agents_b"][:1],
               "pairs": summary["pairs"][:1],
               "across_seeds": [{**row, "seed_pairs": 1} for row in summary["across_seeds"]]}  # one pair
    one = headline(summary)
    pair = summary["pairs"][0]
    assert f"On the {pair['paired_mazes']} held-out cheese-anywhere mazes" in one
    assert f"{summary['agents_a'][0]['p_cheese']:.3f}" in one and f"p = {pair['mcnemar_p_cheese']:.1e}" in one
    seeds = copy.deepcopy(summary)
    seeds["across_seeds"] = [{"measure": "cheese", "seed_pairs": 5, "mean_diff": -0.05, "low": -0.09, "high": -0.01},
                             {"measure": "top_right", "seed_pairs": 5, "mean_diff": 0.2, "low": 0.1, "high": 0.3}]
    assert headline(seeds).startswith("Over 5 seed pairs") and "-0.090 to -0.010" in headline(seeds)
    assert "reached the cheese 0.050 less often than" in headline(seeds)
    assert "without reaching the cheese 0.200 more often (+0.200, +0.100 to +0.300)." in headline(seeds)
    assert "includes 0" not in headline(seeds)  # an interval that excludes 0 needs no caveat
    seeds["across_seeds"][0].update(low=-0.12, high=0.02)
    seeds["pairs"] = [{**pair, "diff_cheese": d, "mcnemar_p_cheese": p} for d, p in ((-0.1, 1e-9), (-0.01, 0.3))]
    assert ("cannot rule out that the difference averages to zero" in headline(seeds)
            and "every pair differs in the same direction (McNemar p 3.0e-01 or less)" in headline(seeds))
    seeds["pairs"][1]["diff_cheese"] = 0.02  # the pairs disagree: no claim of a shared direction
    assert "includes 0" in headline(seeds) and "same direction" not in headline(seeds)


def test_the_shipped_comparison_is_of_every_shipped_r5_and_control():
    # shipping or retiring agents means running the comparison again (cheesemaze results names it)
    summary = json.loads((RESULTS / "compare" / "compare.json").read_text())
    compared = sorted(a["agent"] for a in summary["agents_a"] + summary["agents_b"])
    assert compared == sorted(n for n in shipped_agents() if n.split("/")[0] in ("r5", "control"))


def test_the_comparison_command_takes_the_seeds_once_the_zoo_ships_them():
    assert compare_command(["control", "r5"]) == "cheesemaze compare r5 control --out docs/results/compare"
    zoo = compare_command(["control/s0", "control/s1", "r5/s0", "r5/s1"])
    assert shlex.split(zoo)[2:4] == ["r5/*", "control/*"] and '"r5/*" "control/*"' in zoo  # quoted for the shell


def test_results_check_says_whether_the_page_is_current(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["results", "--check"]) == 0
    stale = tmp_path / "results.md"
    stale.write_text("# Results\n\nby hand\n")
    assert main(["results", "--check", "--out", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err and stale.read_text() == "# Results\n\nby hand\n"


def test_the_agents_table_names_the_sweep_each_agent_comes_from():
    from cheesemaze.analysis.results import TRAPS_SWEEP, ZOO_SWEEP, agents_section

    section = agents_section()
    names = shipped_agents()
    plain = [n for n in names if "-" not in n.split("/")[0]]
    traps = [n for n in names if "-env.traps=" in n.split("/")[0]]
    assert f"{len(plain)} agents in" in section and f"trained by `{ZOO_SWEEP}`" in section
    assert not traps or (f"{len(traps)} agents in" in section and f"trained by `{TRAPS_SWEEP}`" in section)
    assert ZOO_SWEEP.count("--grid") == 2 and '--grid "env.region=5,anywhere seed=0..4"' in ZOO_SWEEP


def test_the_page_says_which_trials_of_the_zoo_grid_are_not_shipped_yet():
    from cheesemaze.analysis.results import still_training

    grid = [f"{c}/s{i}" for c in ("r5", "control") for i in range(5)] + [
        f"r{r}/s{i}" for i in range(3) for r in (0, 2, 3, 7, 10)]
    assert still_training(grid) == ""
    text = still_training([n for n in grid if n not in ("r7/s2", "r10/s1")])
    assert text.startswith("2 of the grid's 25 trials are still training and not shipped yet (r10/s1, r7/s2)")


def test_every_column_of_the_agents_table_has_a_value():
    from cheesemaze.analysis.results import agents_section

    section = agents_section()
    header = next(line for line in section.splitlines() if line.startswith("| agent"))
    for column in header.strip("|").split("|")[1:]:  # a column is shown only where some agent has a value
        index = header.strip("|").split("|").index(column)
        cells = [line.strip("|").split("|")[index].strip() for line in section.splitlines()
                 if line.startswith("| ") and not line.startswith("| agent")]
        assert any(cell != "-" for cell in cells), column


def test_the_readme_headline_is_rewritten_from_the_comparison_and_nothing_else_moves(tmp_path):
    shutil.copytree(RESULTS / "compare", tmp_path / "compare")
    shipped = (ROOT / "README.md").read_text()
    assert readme_with_headline(shipped, tmp_path) == shipped  # the committed headline is the file's
    summary = json.loads((tmp_path / "compare" / "compare.json").read_text())
    for row in summary["across_seeds"]:
        row.update(mean_diff=row["mean_diff"] + 0.5, low=row["low"] + 0.5, high=row["high"] + 0.5)
    (tmp_path / "compare" / "compare.json").write_text(json.dumps(summary))
    readme = "# title\n\ntext before\n> an old headline\n> on two lines\n\ntext after\n"
    rewritten = readme_with_headline(readme, tmp_path)
    lines = rewritten.splitlines()
    assert lines[:3] == ["# title", "", "text before"] and lines[-2:] == ["", "text after"]
    quote = [line for line in lines if line.startswith("> ")]
    assert " ".join(line[2:] for line in quote) == headline(summary)
    assert all(len(line) <= 98 for line in quote) and len(quote) + 5 == len(lines)
    assert readme_with_headline(readme, tmp_path / "nothing") == readme  # no comparison yet: left as it is
    with pytest.raises(ValueError, match="exactly one quoted block"):
        readme_with_headline(readme + "> a second block\n", tmp_path)
    with pytest.raises(ValueError, match="found none"):
        readme_with_headline("# no quote\n", tmp_path)


def test_results_writes_and_checks_the_readme_headline(tmp_path, capsys):
    shutil.copytree(RESULTS / "compare", tmp_path / "results" / "compare")
    readme, page = tmp_path / "README.md", tmp_path / "results.md"
    readme.write_text("# title\n\n> typed by hand\n\nmore\n")
    paths = ["--results", str(tmp_path / "results"), "--out", str(page), "--readme", str(readme)]
    assert main(["results", "--check", *paths]) == 1
    assert "README.md out of date" in capsys.readouterr().err and "typed by hand" in readme.read_text()
    assert main(["results", *paths]) == 0
    assert main(["results", "--check", *paths]) == 0
    assert "typed by hand" not in readme.read_text() and readme.read_text().endswith("\n\nmore\n")
    assert main(["results", *paths[:4], "--readme", str(tmp_path / "missing.md")]) == 2
    assert "is not a file" in capsys.readouterr().err


def test_a_study_shows_its_chosen_report_sections_and_figure_or_names_its_command(tmp_path):
    from cheesemaze.analysis.results import STUDIES, report_sections

    page = results_markdown(tmp_path, tmp_path / "results.md")
    for study in STUDIES:
        assert f"## {study.title}\n\nNot computed yet: `{study.command()} --out docs/results/{study.folder}`" in page
    steer = next(s for s in STUDIES if s.folder == "steer")
    folder = tmp_path / "data" / "steer"
    folder.mkdir(parents=True)
    (folder / "report.md").write_text(
        "# Steering\n\nintro\n\n## Per agent\n\nlong table\n\n## Beside the published effect\n\nours 0.9\n\n"
        "### detail\n\nsub\n\n## Against the baseline group\n\ndifference 0.1\n\n## In plain words\n\na decrease\n")
    page = results_markdown(tmp_path / "data", tmp_path / "docs" / "results.md")
    section = page[page.index(f"## {steer.title}"):]
    section = section[:section.index("\n## ", 3)]
    assert "long table" not in section and "intro" not in section
    # the chosen sections in the study's order, whatever the report's; the rest left in the report
    assert section.index("### In plain words") < section.index("### Beside the published effect") < section.index(
        "#### detail")
    assert "difference 0.1" not in section
    assert "[../data/steer/report.md](../data/steer/report.md)" in section
    assert f"![{steer.figure.split('/')[-1]}](../data/steer/{steer.figure})" in section
    with pytest.raises(ValueError, match="no section 'Across seeds'"):
        report_sections("# T\n\n## Per agent\n\nx\n", ("Across seeds",))


def test_every_shipped_study_is_of_every_shipped_seed_of_its_conditions():
    # shipping a seed of a condition a study covers means running it again ('cheesemaze results' names
    # the commands); a region shipped since the hypotheses ran is named on the page as not in them
    from cheesemaze.analysis.results import STUDIES, studied_agents

    for study in STUDIES:
        folder = RESULTS / study.folder
        if not (folder / "report.md").is_file():
            continue
        studied = studied_agents(folder)
        assert studied is not None, f"{study.folder} has a report but no record of its agents"
        ran = tuple(dict.fromkeys(name.split("/")[0] for name in studied))  # in the order its command named them
        assert ran == study.covered(RESULTS) and ran[-1].startswith("control"), study.folder  # the baseline last
        assert study.groups is not None or {"r5", "control"} <= set(ran), study.folder
        assert sorted(studied) == sorted(n for n in shipped_agents() if n.split("/")[0] in ran), study.folder


def test_a_study_without_a_figure_shows_its_table_alone(tmp_path):
    from cheesemaze.analysis.results import STUDIES

    traps = next(s for s in STUDIES if s.folder == "traps")
    assert traps.figure is None and traps.conditions_now()[-1].startswith("control")
    (tmp_path / "traps").mkdir()
    (tmp_path / "traps" / "report.md").write_text("# T\n\n## Shutdown cell, per agent\n\n| a |\n|---|\n| 1 |\n")
    page = results_markdown(tmp_path, tmp_path / "results.md")
    section = page[page.index(f"## {traps.title}"):]
    assert "### Shutdown cell, per agent" in section and "![" not in section


def test_every_figure_a_shipped_report_names_is_shipped():
    # a report points at its figures as `figures/<name>` or a Markdown image; both must exist in git
    import re
    import subprocess

    listed = subprocess.run(["git", "ls-files", "docs/results"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: what is shipped is what git tracks")
    tracked = set(listed.stdout.split())
    named = 0
    for report in sorted(RESULTS.rglob("*.md")):
        text = report.read_text()
        wanted = [f"figures/{n}.png" for n in re.findall(r"`figures/([\w-]+)`", text)]
        wanted += [link for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text) if "://" not in link]
        for link in wanted:
            path = (report.parent / link).resolve().relative_to(ROOT).as_posix()
            assert path in tracked, f"{report.relative_to(ROOT)} names {link}, which is not shipped"
            named += 1
    assert named > 0


def test_the_page_defines_every_model_and_feature_its_tables_name():
    from cheesemaze.analysis.hypotheses.baselines import BASELINES
    from cheesemaze.analysis.results import TERMS
    from cheesemaze.analysis.sweep_study import KEY_FEATURES

    assert TERMS in (ROOT / "docs" / "results.md").read_text()
    for name in (*BASELINES, "intended", "compatible", "correlates", "utility", *KEY_FEATURES):
        assert f"`{name}`" in TERMS, name
    for term in ("Decision square", "Zero cells", "n/(n+1) bound", "Gain over the base rate", "Cheese vector"):
        assert f"**{term}**" in TERMS, term
