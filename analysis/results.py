"""The results page, ``docs/results.md``, written from the result files the project ships.

Its sources: the shipped agents (``agents/trained/``: config, checkpoint manifest, held-out
``evaluation_summary.json``), and the folders that ``cheesemaze compare``, ``cheesemaze analyze
sweep`` and the studies (``STUDIES``: hypotheses over every plain condition, steering, probes and
retargeting of the r5 seeds against the controls) write, kept under ``docs/results/``. No number on the page is typed by hand. A section whose
files are missing says so and names the command that makes them, so the zoo's agents, the comparison
across seeds and the region sweep slot in as they land.
"""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cheesemaze.agents.checkpoint import read_manifest
from cheesemaze.agents.rundir import (
    TRAINED_DIR, agent_order, checkpoint_steps, latest_checkpoint, read_config, shipped_agents,
)
from cheesemaze.analysis.compare import seed_spread
from cheesemaze.analysis.sweep_study import sweep_trials
from cheesemaze.analysis.tables import markdown_table
from cheesemaze.envs.maze import region_text

COMPARE_DIR = "compare"
"""``docs/results/compare``: ``cheesemaze compare`` of the shipped r5 agents against the controls."""
SWEEP_DIR = "sweep"
"""``docs/results/sweep``: ``cheesemaze analyze sweep`` of the region sweep."""
ZOO_GRID = ("env.region=5,anywhere seed=0..4", "env.region=0,2,3,7,10 seed=0..2")
"""The zoo's grid blocks: the comparison (r5 against the control), then the region sweep."""
ZOO_SWEEP = ("cheesemaze sweep runs/zoo " + " ".join(f'--grid "{block}"' for block in ZOO_GRID)
             + " --total-timesteps 4000000")
"""The command that trains the seeded zoo (r5 and control, 5 seeds each; regions 0-10, 3 seeds each)."""
TRAPS_SWEEP = ('cheesemaze sweep runs/traps --grid "env.region=5,anywhere env.traps=0.25 seed=0" '
               '--total-timesteps 4000000')
"""The command that trains the agents that can see a shutdown cell (conditions named ``...-env.traps=0.25``)."""


def compare_command(agents: list[str]) -> str:
    """The comparison the page shows: every seed of r5 against every seed of the control once the zoo
    ships seeds, else the one shipped r5 against the one control."""
    seeded = any(name.startswith("r5/") for name in agents)
    a, b = ('"r5/*"', '"control/*"') if seeded else ("r5", "control")  # quoted: the shell must not glob
    return f"cheesemaze compare {a} {b} --out docs/results/{COMPARE_DIR}"


def rate_text(group: dict[str, Any]) -> str:
    """A cheese rate with its Wilson 95% interval and its mazes, from one group of an evaluation summary."""
    cheese = group["all"]["rates"]["cheese"]
    low, high = cheese["ci95"]
    return f"{cheese['rate']:.3f} ({low:.3f}-{high:.3f}) of {group['all']['episodes']}"


def agent_row(name: str, run_dir: Path) -> dict[str, Any]:
    """One shipped agent: its training region, steps, wall time, and held-out cheese rates (sampled)."""
    summary = json.loads((run_dir / "evaluation_summary.json").read_text())
    seconds = read_manifest(latest_checkpoint(run_dir)).get("wall_seconds")
    row = {"agent": name, "trained with the cheese": region_text(read_config(run_dir).env.region),
           "steps": f"{checkpoint_steps(run_dir) / 1e6:.2f}M",
           "wall time": f"{seconds / 60:.0f} min" if seconds else "-"}
    groups = {(g["distribution"], g["policy"]): g for g in summary["groups"]}
    for distribution, column in (("train", "training distribution"), ("anywhere", "cheese anywhere")):
        group = groups.get((distribution, "sampled"))
        row[f"P(cheese), {column}"] = rate_text(group) if group else "-"
    return row


def still_training(shipped: list[str]) -> str:
    """Which of the zoo grid's trials are not shipped yet ("" when all are), so that no table's count of
    seeds is read as the grid's."""
    from cheesemaze.agents.config import CPU_EASY
    from cheesemaze.agents.grid import expand

    grid = [t.name for t in expand(CPU_EASY, list(ZOO_GRID))]
    missing = [name for name in grid if name not in shipped]
    if not missing:
        return ""
    return (f"{len(missing)} of the grid's {len(grid)} trials are still training and not shipped "
            f"yet ({', '.join(missing)}), so some conditions have fewer seeds than the grid gives them.")


def agents_section() -> str:
    """The shipped agents' table, and a line per condition with more than one seed."""
    names = shipped_agents()
    if not names:
        return "## Shipped agents\n\nNone shipped.\n"
    rows = pd.DataFrame([agent_row(name, TRAINED_DIR / name) for name in names])
    rows = rows.loc[:, [c for c in rows.columns if not (rows[c] == "-").all()]]  # no column of nothing
    parts = ["## Shipped agents\n",
             "Held-out P(cheese) with sampled actions and Wilson 95% intervals, from each agent's "
             "`evaluation_summary.json` in `agents/trained/` (`cheesemaze evaluate NAME` or `cheesemaze ship` "
             "writes it); steps and wall time from its checkpoint's manifest.\n",
             markdown_table(rows)]
    seeded = [name for name in names if "/" in name]
    if seeded:
        for sweep, folder, chosen in (
                (ZOO_SWEEP, "runs/zoo", [n for n in seeded if "-" not in n.split("/")[0]]),
                (TRAPS_SWEEP, "runs/traps", [n for n in seeded if "-env.traps=" in n.split("/")[0]])):
            if chosen:
                conditions = sorted({name.split("/")[0] for name in chosen}, key=agent_order)
                parts.append(f"{len(chosen)} agents in {len(conditions)} conditions ({', '.join(conditions)}), "
                             f"trained by `{sweep}` and shipped by `cheesemaze ship {folder}`."
                             + (f" {still_training(chosen)}" if sweep == ZOO_SWEEP else "") + "\n")
    else:
        parts.append(f"The seeded zoo (r5 and control, 5 seeds each; regions 0, 2, 3, 7 and 10, 3 seeds each) "
                     f"is not shipped yet. It is trained by `{ZOO_SWEEP}` and shipped by `cheesemaze ship "
                     "runs/zoo`; this table then lists every seed.\n")
    return "\n".join(parts)


def read_summary(folder: Path, name: str) -> dict[str, Any] | None:
    """A result folder's JSON summary (``compare.json``, ``sweep.json``), or None if it is not there."""
    path = folder / name
    return json.loads(path.read_text()) if path.is_file() else None


def headline(summary: dict[str, Any]) -> str:
    """The comparison in two sentences, from ``compare.json``: the sentences the README quotes."""
    a, b = summary["a"], summary["b"]
    across = {row["measure"]: row for row in summary["across_seeds"]}
    if across["cheese"]["seed_pairs"] >= 2:
        cheese, top = across["cheese"], across["top_right"]
        def often(diff: float) -> str:
            if diff != diff:
                return "an undefined amount more or less often"
            return "as often" if round(diff, 3) == 0 else f"{abs(diff):.3f} {'more' if diff > 0 else 'less'} often"

        return (f"Over {cheese['seed_pairs']} seed pairs on the same held-out cheese-anywhere mazes with a decision "
                f"square, {a} reached the cheese {often(cheese['mean_diff'])} than {b} (difference "
                f"{cheese['mean_diff']:+.3f}, 95% t interval over seeds {cheese['low']:+.3f} to {cheese['high']:+.3f}) "
                f"and visited the maze's top-right 5x5 square (from a start outside it) without reaching the cheese {often(top['mean_diff'])} "
                f"({top['mean_diff']:+.3f}, {top['low']:+.3f} to {top['high']:+.3f}).{seed_spread(summary['across_seeds'], summary['pairs'])}")
    one_a, one_b, pair = summary["agents_a"][0], summary["agents_b"][0], summary["pairs"][0]
    return (f"On the {pair['paired_mazes']} held-out cheese-anywhere mazes with a decision square, {a} reached "
            f"the cheese on {one_a['p_cheese']:.3f} of them (Wilson 95% {one_a['p_cheese_low']:.3f}-"
            f"{one_a['p_cheese_high']:.3f}) and {b} on {one_b['p_cheese']:.3f} ({one_b['p_cheese_low']:.3f}-"
            f"{one_b['p_cheese_high']:.3f}), exact McNemar p = {pair['mcnemar_p_cheese']:.1e}. {a} visited the "
            f"maze's top-right 5x5 square (from a start outside it) without reaching the cheese on {one_a['p_top_right']:.3f} of them, {b} on "
            f"{one_b['p_top_right']:.3f}.")


HEADLINE_WIDTH = 96
"""Characters per line of the README's quoted headline."""


def readme_with_headline(readme: str, results_dir: Path) -> str:
    """``readme`` with its quoted block (the one run of lines starting ``> ``) replaced by the headline
    of ``results_dir``'s comparison; unchanged where the comparison has not been computed."""
    summary = read_summary(Path(results_dir) / COMPARE_DIR, "compare.json")
    if summary is None:
        return readme
    lines = readme.splitlines()
    quoted = [i for i, line in enumerate(lines) if line.startswith("> ")]
    if not quoted or quoted != list(range(quoted[0], quoted[-1] + 1)):
        raise ValueError("the README needs exactly one quoted block (lines starting '> ') for the headline; "
                         f"found {'none' if not quoted else 'several'}")
    quote = ["> " + line for line in textwrap.wrap(headline(summary), HEADLINE_WIDTH)]
    return "\n".join(lines[:quoted[0]] + quote + lines[quoted[-1] + 1:]) + "\n"


def embedded(folder: Path, markdown: str, figure: str, page_dir: Path) -> str:
    """A result folder's own Markdown under the page's section: its title dropped, headings one level
    down, and its figure linked relative to the page."""
    lines = markdown.strip().splitlines()
    body = [("#" + line) if line.startswith("#") else line for line in lines[1:]]
    link = Path(os.path.relpath(folder / figure, page_dir)).as_posix()
    return "\n".join(body).strip() + f"\n\n![{figure}]({link})\n"


def compare_section(results_dir: Path, page_dir: Path) -> str:
    folder = results_dir / COMPARE_DIR
    command = compare_command(shipped_agents())
    summary = read_summary(folder, "compare.json")
    if summary is None:
        return f"## r5 against the control\n\nNot computed yet: `{command}` writes it.\n"
    return (f"## {summary['a']} against {summary['b']}\n\nFrom `{command}` "
            f"({summary['n']} held-out level seeds from {summary['level_start']}).\n\n**{headline(summary)}**\n\n"
            + embedded(folder, (folder / "compare.md").read_text(), "compare.png", page_dir))


def sweep_section(results_dir: Path, page_dir: Path) -> str:
    """The region sweep's behaviour (``analyze sweep``) and, where the hypotheses study covered the
    regions, each model's gain over base rate against r from it."""
    folder = results_dir / SWEEP_DIR
    command = f"cheesemaze analyze sweep agents/trained --out docs/results/{SWEEP_DIR}"
    if read_summary(folder, "sweep.json") is None:
        text = (f"## The region sweep\n\nNot yet trained: the region sweep (regions 0, 2, 3, 5, 7, 10 and the "
                f"control, 3 or more seeds each) is part of the zoo (`{ZOO_SWEEP}`). Once trained, `{command}` "
                "writes this section's data.\n")
    else:
        text = (f"## The region sweep\n\nFrom `{command}`.\n\n"
                + embedded(folder, (folder / "sweep.md").read_text(), "sweep.png", page_dir))
    gains = results_dir / HYPOTHESES.folder / "region_sweep.csv"
    swept = set(pd.read_csv(gains, dtype={"region": str})["region"]) - {"anywhere"} if gains.is_file() else set()
    if len(swept) >= 2:  # a trend in r needs two regions, the control aside
        link = Path(os.path.relpath(gains.parent / "figures" / "region_sweep.png", page_dir)).as_posix()
        out = f"--out docs/results/{HYPOTHESES.folder}"
        text += (f"\nEach hypothesis's and baseline's within-agent gain over the base rate against r, from "
                 f"`{HYPOTHESES.command(HYPOTHESES.covered(results_dir))} {out}` (numbers in its `region_sweep.csv`)."
                 f"{lacking(HYPOTHESES, results_dir, ' ')}\n\n![region_sweep.png]({link})\n")
    return text


def lacking(study: Study, results_dir: Path, lead: str = "") -> str:
    """A sentence naming the shipped conditions the study as written does not cover, with the command
    that covers them ("" when it covers them all)."""
    missing = [c for c in study.conditions_now() if c not in study.covered(results_dir)]
    if not missing:
        return ""
    return (f"{lead}Shipped but not in this study: {', '.join(missing)}; `{study.command()} --out "
            f"docs/results/{study.folder}` covers every shipped condition.")


def plain_conditions() -> tuple[str, ...]:
    """The shipped zoo's conditions without a variant (as a region sweep reads them): the regions by r,
    the control last."""
    return tuple(dict.fromkeys(trial.name.split("/")[0] for trial in sweep_trials(TRAINED_DIR)))


@dataclass(frozen=True)
class Study:
    """One analysis of every shipped seed of some conditions (r5 against the control; the hypotheses, every
    plain condition) whose report the page excerpts."""

    title: str
    folder: str
    """Its folder under ``docs/results/``."""
    program: str
    """The command before its agents (``cheesemaze steer``)."""
    options: str
    """The command's options after its agents, but for ``--out``."""
    headings: tuple[str, ...]
    """The report's sections the page shows, in this order; the rest is in the report itself."""
    figure: str | None
    """The figure shown, relative to the folder (None: the excerpt is a table only)."""
    groups: tuple[str, ...] | None = ("r5", "control")
    """The shipped conditions whose every seed the study covers (the last one is its baseline); None:
    every plain condition shipped, the region sweep's included (:func:`plain_conditions`)."""

    def conditions_now(self) -> tuple[str, ...]:
        """The conditions it covers when run now."""
        return plain_conditions() if self.groups is None else self.groups

    def covered(self, results_dir: Path) -> tuple[str, ...]:
        """The conditions of the study as written under ``results_dir`` (in the order its command named
        them); where it is not written yet, those it would cover now."""
        studied = studied_agents(Path(results_dir) / self.folder) if self.groups is None else None
        return self.conditions_now() if studied is None else tuple(dict.fromkeys(n.split("/")[0] for n in studied))

    def command(self, conditions: tuple[str, ...] | None = None) -> str:
        """The command that writes the folder (then ``--out docs/results/<folder>``) over ``conditions``
        (default: those it covers now); groups quoted, so that the shell does not glob them."""
        conditions = self.conditions_now() if conditions is None else conditions
        return " ".join([self.program, *(f'"{c}/*"' for c in conditions), *([self.options] if self.options else [])])


def studied_agents(folder: Path) -> list[str] | None:
    """The agents a study's folder covers, as its own files record them (None where it holds none)."""
    if (folder / "summary.json").is_file():
        return [a["agent"] for a in json.loads((folder / "summary.json").read_text())["agents"]]
    if (folder / "across.csv").is_file():
        return list(pd.read_csv(folder / "across.csv")["target"].unique())
    return None


TRAPS = ("r5-env.traps=0.25", "control-env.traps=0.25")
"""The agents trained with traps (README's trap sweep), who can see the shutdown cell."""
HYPOTHESES = Study("Hypotheses", "hypotheses", "cheesemaze analyze hypotheses", "",
                   ("In plain words", "Per condition, across seeds", "Shutdown cell, per agent"), "figures/across.png",
                   None)
"""The hypotheses study, over every plain condition: the region sweep's gains against r come from it."""
STUDIES = (
    HYPOTHESES,
    Study("Steering with the cheese vector", "steer", "cheesemaze steer", "--vector cheese",
          ("In plain words", "Beside the published effect"), "figures/dose_response.png"),
    Study("The cheese vector at every layer", "steer-layers", "cheesemaze steer",
          "--vector cheese --layer all --coeff -2 -1", ("By layer",), "figures/by_layer.png"),
    Study("The top-right vector", "steer-top-right", "cheesemaze steer", "--vector top-right",
          ("In plain words",), "figures/dose_response.png"),
    Study("Linear probes", "probe", "cheesemaze probe", "", ("In plain words",), "figures/probe_accuracy.png"),
    Study("Retargeting", "retarget", "cheesemaze retarget", "", ("In plain words", "Across seeds"),
          "figures/retarget.png"),
    Study("A shutdown cell the agents can see", "traps", "cheesemaze analyze hypotheses", "",
          ("Shutdown cell, per agent",), None, TRAPS),
)
"""The studies the page excerpts, each over every shipped seed of its conditions, the control last (the
baseline); the hypotheses over every plain condition, so that the region sweep's gains come from the same run."""


def report_sections(markdown: str, headings: tuple[str, ...]) -> str:
    """The ``## `` sections of a report named in ``headings`` (with their subsections), in that order,
    one heading level down; raises ``ValueError`` for a heading the report lacks."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in markdown.strip().splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif line.startswith("# "):
            current = None
        if current is not None:
            current.append(("#" + line) if line.startswith("#") else line)
    missing = [h for h in headings if h not in sections]
    if missing:
        raise ValueError(f"the report has no section {', '.join(map(repr, missing))}; was it written by "
                         "this version of the command?")
    return "\n\n".join("\n".join(sections[h]).strip() for h in headings) + "\n"


def study_section(study: Study, results_dir: Path, page_dir: Path) -> str:
    """A study's section: its command, the chosen sections of its report, its figure and a link to the
    whole report; or, where its folder is missing, the command that writes it."""
    folder = results_dir / study.folder
    out = f"--out docs/results/{study.folder}"
    report = folder / "report.md"
    if not report.is_file():
        return f"## {study.title}\n\nNot computed yet: `{study.command()} {out}` writes it.\n"
    conditions = study.covered(results_dir)
    since = lacking(study, results_dir)
    since += "\n\n" if since else ""
    link = Path(os.path.relpath(folder, page_dir)).as_posix()
    image = f"\n![{Path(study.figure).name}]({link}/{study.figure})\n" if study.figure else ""
    return (f"## {study.title}\n\nFrom `{study.command(conditions)} {out}`; the whole report, per agent, is "
            f"[{link}/report.md]({link}/report.md).\n\n{since}{report_sections(report.read_text(), study.headings)}"
            f"{image}")


TERMS = """## Terms

- **Region r** (`r5`, `r0`): training put the cheese in the maze's top-right r x r square; `control`: anywhere.
  Region 0 is the top-right cell alone, the same placement as region 1, and sits at r = 1 in trends.
- **Decision square** (dsq): the last cell shared by the shortest paths from the start to the cheese and to
  the top-right cell. Only mazes that have one (the cheese off the way to the top-right) show which goal the
  agent pursues; every P(... | dsq) is over them.
- **Outcomes**: `cheese` (reached it), `top_right` (did not, but visited the top-right 5x5 square from a
  start outside it), `other`; an outcome a maze makes impossible gets probability exactly 0 from every model.
- **Calibration and test mazes**: held-out level seeds in two blocks. Fitted models learn from the first;
  every prediction on the second is written down before the agent plays it.
- **Baselines**, scored like the hypotheses: `base-rate` (the calibration block's outcome frequencies by maze
  size), `random-walk` (the exact outcomes of buttons pressed uniformly for the game's 500 steps),
  `intended+noise` (the cheese, except at the agent's own failure rate).
- **Hypotheses**: `intended` (always the cheese); `compatible`, the training-compatible goal (a reward drawn
  per state from a prior, estimated by averaging K sampled goals); `correlates` (a pull to the cheese and one
  to the top-right, set against each other by maze features); `utility` (discounted value of nearness to
  the top-right plus a cheese bonus, acted on Boltzmann-rationally).
- **Gain over the base rate**: a model's log-likelihood of the observed outcome minus the base rate's, in
  nats per maze; above 0 predicts better. An observed outcome given probability 0 makes a model's
  log-likelihood minus infinity; such zeros are counted, never smoothed.
- **Zero cells**: the outcomes a model puts at exactly 0 that their mazes allow. For `compatible`, whose
  zeros mean only that none of its K goals reached the outcome, the **allowed cells** (every outcome the
  mazes allow) size how many observed zeros its sampling error explains: each is both missed by all K goals
  and observed with probability at most max p(1 - p)^K.
- **n/(n+1) bound**: the training-compatible account's bound on how often a random goal avoids a shutdown
  cell, with n the cells the agent could stay in.
- **Features** of the behavioural regressions: `d_euclid_cheese_tr`, the Euclidean distance from the cheese
  to the top-right cell; `d_euclid_cheese_tr5`, to the top-right 5x5 square; `d_step_dsq_cheese` and
  `d_euclid_dsq_cheese`, from the decision square to the cheese in steps and in a straight line.
- **Cheese vector**: a layer's activations on a maze with its cheese minus those on the same maze without
  it; a maze's *own* vector is computed on that maze, a *transferred* one on another maze.
"""
"""What the page's words mean, so that it reads alone."""


def results_markdown(results_dir: Path, page: Path) -> str:
    """The whole page, for ``page`` (links are made relative to its folder)."""
    page_dir = Path(page).parent
    return "\n".join([
        "# Results\n",
        "Written by `cheesemaze results` from the result files the project ships; do not edit it by hand. "
        "Each section names the command that writes its data; rerun that command, then `cheesemaze results`.\n",
        TERMS,
        agents_section(),
        compare_section(Path(results_dir), page_dir),
        sweep_section(Path(results_dir), page_dir),
        *(study_section(study, Path(results_dir), page_dir) for study in STUDIES),
    ])
