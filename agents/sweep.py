"""A sweep: every trial of a grid (``agents/grid.py``) trained on Ray, resumable, one run directory each.

Layout::

    <sweep>/sweep.json            the grid, preset, base config, step budget, code and package versions
    <sweep>/<condition>/s<seed>/  one ordinary run directory per trial (``agents/rundir.py``)
    <sweep>/logs/<trial>.log      what the trial printed; <trial>.json: its pid, node and attempt
    <sweep>/abandoned/            run directories a killed setup left without a checkpoint, kept aside

Ray core tasks, not Ray Tune: a trial's state is its run directory, which already checkpoints,
resumes with its step counters and records its logs, so a trial is one idempotent task ("bring this
run directory to its budget"). Ray supplies scheduling by CPUs (one CPU per torch thread), retries of
a task whose worker dies (each retry resumes from the last checkpoint), and the same code on one
machine or a cluster (``address``). Tune would add a second checkpoint and experiment-state system
around the same runs, and its data dependencies need a NumPy that procgen's pin excludes.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from cheesemaze.agents.checkpoint import load_checkpoint, read_manifest, repair_manifest
from cheesemaze.agents.config import TrainConfig, config_from_dict, config_to_dict
from cheesemaze.agents.grid import MACHINE_FIELDS, Trial, expand
from cheesemaze.agents.rundir import CONFIG_FILE, code_version, log_parts, package_versions, read_config
from cheesemaze.agents.signals import stop_signals_interrupt
from cheesemaze.envs.files import atomic_write_json

MANIFEST = "sweep.json"
LOCK_FILE = ".lock"
LOG_DIR = "logs"
ABANDONED_DIR = "abandoned"


def _identity(config: TrainConfig) -> dict[str, Any]:
    """What makes two configs the same trial: everything but the machine's fields (and a precision
    still ``auto``, which each machine resolves for itself)."""
    record = config_to_dict(config)
    for name in MACHINE_FIELDS:
        record.pop(name)
    if config.ppo.precision == "auto":
        record["ppo"].pop("precision")
    return record


def _as_today(base_config: dict[str, Any], budget: int) -> dict[str, Any]:
    """A manifest's base config as this code records it: fields added since it was written take their
    defaults (``config_from_dict``), which is how those trials trained, so an older sweep still resumes."""
    try:
        config = config_from_dict({**base_config, "total_timesteps": budget})
    except ValueError:
        return base_config  # a field this code does not know: compared as written, and refused as another sweep
    record = {**_identity(config), "total_timesteps": None}
    if "precision" not in base_config.get("ppo", {}):
        record["ppo"].pop("precision")  # recorded as "auto", which _identity leaves out
    return json.loads(json.dumps(record))


def _same_trial(recorded: TrainConfig, wanted: TrainConfig) -> bool:
    mine = _identity(wanted)
    theirs = _identity(recorded)
    if "precision" not in mine["ppo"]:
        theirs["ppo"].pop("precision", None)
    theirs["total_timesteps"] = mine["total_timesteps"]  # a budget may be raised on a rerun
    return mine == theirs


def open_sweep(sweep_dir: Path, base: TrainConfig, blocks: list[str]) -> list[Trial]:
    """The sweep's trials, after checking ``sweep_dir`` against them; writes the manifest on first use.

    Refuses (``ValueError``) a directory that holds another sweep (a different grid, preset or base
    config), a run directory whose config is not its trial's, and a lower step budget. A higher
    budget is recorded in the manifest; its trials train on to it.
    """
    sweep_dir = Path(sweep_dir)
    path = sweep_dir / MANIFEST
    trials = expand(base, blocks, new=not path.is_file())
    record = {"grid": list(blocks), "preset": base.preset, "total_timesteps": base.total_timesteps,
              "base_config": {**_identity(base), "total_timesteps": None},
              "trials": [t.name for t in trials]}
    record = json.loads(json.dumps(record))  # as the manifest reads back (tuples as lists)
    if path.is_file():
        old = json.loads(path.read_text())
        recorded = {**old, "base_config": _as_today(old["base_config"], old["total_timesteps"])}
        for key in ("grid", "preset", "base_config"):
            if recorded[key] != record[key]:
                raise ValueError(f"{sweep_dir} holds another sweep: its {key} differs from this command's; "
                                 f"rerun it as it was ({MANIFEST}) or choose another directory")
        if base.total_timesteps < old["total_timesteps"]:
            raise ValueError(f"{sweep_dir} trains to {old['total_timesteps']:,} steps; a budget can only be raised")
        if base.total_timesteps > old["total_timesteps"]:
            old["budget_raises"] = old.get("budget_raises", []) + [
                {"from": old["total_timesteps"], "to": base.total_timesteps, "code_version": code_version(),
                 "time": datetime.now().isoformat(timespec="seconds")}]
            old["total_timesteps"] = base.total_timesteps
            atomic_write_json(path, old)
    else:
        sweep_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, {**record, "code_version": code_version(), "packages": package_versions(),
                                 "created": datetime.now().isoformat(timespec="seconds")})
    for trial in trials:
        run = sweep_dir / trial.name
        if (run / CONFIG_FILE).is_file() and not _same_trial(read_config(run), trial.config):
            raise ValueError(f"{run} holds a run with another config than trial {trial.name}; move it away")
    return trials


def trial_steps(run_dir: Path) -> int:
    """Env-steps a trial has trained, from the last counted row of its training logs (0 before any)."""
    logs = log_parts(run_dir)
    best = 0
    for log in logs:
        try:
            with open(log, "rb") as f:
                header = f.readline().decode().strip().split(",")
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 8192))
                tail = f.read().decode(errors="replace").strip().splitlines()[1:]  # the first may be cut
            column = header.index("time/total_timesteps")
        except (ValueError, OSError):
            continue
        # the row written at the end of training carries the last update and evaluation but no step count
        for line in reversed(tail):
            cells = line.split(",")
            if len(cells) == len(header) and cells[column]:
                best = max(best, int(float(cells[column])))
                break
    return best


def trial_finished(run_dir: Path, budget: int) -> bool:
    """Whether the run has a final checkpoint at ``budget`` steps or more."""
    try:
        return read_manifest(Path(run_dir) / "checkpoints" / "final.pt").get("num_timesteps", 0) >= budget
    except ValueError:
        return False


RECENT_SECONDS = 600.0
"""A trial whose training log was written this recently counts as training now (``sweep_status``)."""


@dataclass(frozen=True)
class TrialStatus:
    """Where one trial of a sweep stands, read from its run directory alone."""

    name: str
    steps: int
    budget: int
    finished: bool
    wall_seconds: float | None
    """The run's training clock at its last log row (all its sessions together)."""
    held_out: float | None
    """Held-out cheese on its training distribution at the last evaluation of its training log."""
    held_out_at: int | None
    rate: float | None
    """Env-steps per second over the run's current log part (this session of it)."""
    idle_seconds: float | None
    """Seconds since the training log was last written; None before any."""

    @property
    def training(self) -> bool:
        return not self.finished and self.idle_seconds is not None and self.idle_seconds < RECENT_SECONDS


def _number(row: dict[str, str], column: str) -> float | None:
    """A log cell as a number; None where it is empty or unreadable (a row cut short by a kill)."""
    try:
        return float(row[column]) if row.get(column) else None
    except (TypeError, ValueError):
        return None


def _read_log_tail(run_dir: Path) -> dict[str, Any]:
    """Steps, the last evaluation, last clock and the current part's rate from a run's training log."""
    found: dict[str, Any] = {"steps": 0, "held_out": None, "held_out_at": None, "wall_seconds": None, "rate": None}
    parts = log_parts(run_dir)
    for part in parts:
        try:
            with open(part, newline="") as f:
                rows = list(csv.DictReader(f))
        except (OSError, csv.Error):
            continue
        steps, clocked = None, []
        for row in rows:  # the row written at the end of training has no step count: the last one stands
            counted = _number(row, "time/total_timesteps")
            steps = counted if counted is not None else steps
            cheese, clock = _number(row, "eval/train_cheese"), _number(row, "time/wall_seconds")
            if cheese is not None and steps is not None:
                found["held_out"], found["held_out_at"] = cheese, int(steps)
            if clock is not None and steps is not None:
                clocked.append((steps, clock))
        if steps is not None:
            found["steps"] = max(found["steps"], int(steps))
        if clocked:
            found["wall_seconds"] = clocked[-1][1]
        if part == parts[-1] and len(clocked) > 1 and clocked[-1][1] > clocked[0][1]:
            found["rate"] = (clocked[-1][0] - clocked[0][0]) / (clocked[-1][1] - clocked[0][1])
    return found


def _trial_names(manifest: dict[str, Any]) -> list[str]:
    """The trials of a manifest's grid as this code names them (a name rule may have changed since
    the manifest listed them); the manifest's own list where its config no longer builds."""
    try:
        base = config_from_dict({**manifest["base_config"], "total_timesteps": manifest["total_timesteps"]})
        return [t.name for t in expand(base, manifest["grid"], new=False)]
    except (ValueError, TypeError, KeyError):
        return list(manifest["trials"])


def sweep_status(sweep_dir: Path) -> tuple[dict[str, Any], bool, list[TrialStatus]]:
    """A sweep's manifest, whether a sweep process holds its lock now, and each trial's status.

    Reads only: it works beside a running sweep and takes nothing from it. Raises ``ValueError`` where
    ``sweep_dir`` holds no sweep manifest.
    """
    sweep_dir = Path(sweep_dir)
    path = sweep_dir / MANIFEST
    if not path.is_file():
        raise ValueError(f"{sweep_dir} holds no sweep ({MANIFEST} missing); start one with --grid")
    manifest = json.loads(path.read_text())
    budget = int(manifest["total_timesteps"])
    running = False
    if (sweep_dir / LOCK_FILE).is_file():
        with open(sweep_dir / LOCK_FILE) as lock:
            try:  # a shared lock, released at once: fails only while a sweep holds its exclusive one
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                running = True
    now = time.time()
    trials = []
    for name in _trial_names(manifest):
        run = sweep_dir / name
        parts = log_parts(run)
        idle = now - max(p.stat().st_mtime for p in parts) if parts else None
        trials.append(TrialStatus(name=name, budget=budget,  # one read of the logs gives steps and the rest
                                  finished=trial_finished(run, budget), idle_seconds=idle, **_read_log_tail(run)))
    return manifest, running, trials


def _log_stem(sweep_dir: Path, name: str) -> Path:
    return Path(sweep_dir) / LOG_DIR / name.replace("/", "_")


def _resumable(run: Path) -> bool:
    """Whether a run's latest checkpoint loads, after rebuilding a manifest a kill left stale."""
    path = run / "checkpoints" / "latest.pt"
    if not path.is_file():
        return False
    try:
        load_checkpoint(path)
        return True
    except ValueError:
        return repair_manifest(path)


def run_trial(config_record: dict[str, Any], sweep_dir: str, name: str) -> dict[str, Any]:
    """Bring one trial's run directory to its budget: train it, resume it, or leave it (in a Ray worker).

    Output goes to ``logs/<trial>.log``; ``logs/<trial>.json`` says which process and node run it.
    """
    import ray

    from cheesemaze.agents import training

    config = config_from_dict(config_record)
    run = Path(sweep_dir) / name
    stem = _log_stem(Path(sweep_dir), name)
    stem.parent.mkdir(parents=True, exist_ok=True)
    context = ray.get_runtime_context()
    attempt = {"pid": os.getpid(), "node": context.get_node_id(), "started": time.time()}
    atomic_write_json(stem.with_suffix(".json"), attempt)
    if trial_finished(run, config.total_timesteps):
        return {"name": name, "finished": True, "steps": trial_steps(run), "node": attempt["node"]}
    streams = sys.stdout, sys.stderr
    with open(stem.with_suffix(".log"), "a", buffering=1) as log:
        sys.stdout = sys.stderr = log
        try:
            print(f"--- {datetime.now().isoformat(timespec='seconds')} pid {attempt['pid']} node {attempt['node']}")
            if run.exists() and not _resumable(run):
                aside = Path(sweep_dir) / ABANDONED_DIR / f"{name.replace('/', '_')}-{int(time.time())}"
                aside.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(run, aside)  # no usable checkpoint: kept for the record, trained anew
                print(f"moved {run} (no usable checkpoint) to {aside}")
            if run.exists():
                model = training.resume(run, total_timesteps=config.total_timesteps, torch_threads=config.torch_threads,
                                        device=config.device, progress_bar=False)
            else:
                model = training.train(config, run, progress_bar=False)  # the sweep shows one bar for all
        finally:
            sys.stdout, sys.stderr = streams
    finished = trial_finished(run, config.total_timesteps)
    return {"name": name, "finished": finished, "steps": int(model.num_timesteps), "node": attempt["node"]}


@dataclass
class SweepResult:
    """How each trial ended in one invocation of :func:`run_sweep`."""

    finished: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    nodes: dict[str, str] = field(default_factory=dict)
    """Trial name -> the Ray node id that last ran it."""
    interrupted: bool = False


class _Progress:
    """One terminal bar for the whole sweep: env-steps of all trials, and trials done/running/failed."""

    def __init__(self, sweep_dir: Path, trials: list[Trial], done: set[str], started: float) -> None:
        self.sweep_dir, self.trials, self.done, self.started = sweep_dir, trials, done, started
        self.failed: set[str] = set()
        total = sum(t.config.total_timesteps for t in trials)
        self.bar = tqdm(total=total, initial=self.steps(), unit="step", unit_scale=True, dynamic_ncols=True,
                        desc="sweep", mininterval=1.0)

    def steps(self) -> int:
        return sum(min(trial_steps(self.sweep_dir / t.name), t.config.total_timesteps) for t in self.trials)

    def running(self) -> int:
        """Trials whose current attempt started in this invocation and has not ended."""
        count = 0
        for t in self.trials:
            info = _log_stem(self.sweep_dir, t.name).with_suffix(".json")
            if t.name not in self.done | self.failed and info.is_file():
                count += json.loads(info.read_text())["started"] >= self.started
        return count

    def update(self) -> None:
        self.bar.n = self.steps()
        running = self.running()
        queued = len(self.trials) - len(self.done) - len(self.failed) - running
        self.bar.set_postfix(done=len(self.done), running=running, failed=len(self.failed), queued=queued,
                             refresh=False)
        self.bar.refresh()


def run_sweep(sweep_dir: Path, base: TrainConfig, blocks: list[str], *, address: str | None = None,
              num_cpus: int | None = None, max_retries: int = 2, poll_seconds: float = 2.0) -> SweepResult:
    """Train every unfinished trial of the grid on Ray (a new local Ray, or the cluster at ``address``).

    Each trial asks Ray for ``base.torch_threads`` CPUs; finished trials are skipped, interrupted ones
    resume from their last checkpoint. A trial whose worker dies or raises is retried up to
    ``max_retries`` times, each time from its checkpoint; the others go on. Ctrl-C or SIGTERM asks
    every running trial to save a checkpoint and stop, then returns (``interrupted``).
    """

    cpus = None if address else (num_cpus or len(os.sched_getaffinity(0)))
    if cpus is not None and base.torch_threads > cpus:
        raise ValueError(f"--torch-threads {base.torch_threads} is more than the local Ray's {cpus} CPUs: "
                         "no trial could ever start")
    sweep_dir = Path(sweep_dir).resolve()
    trials = open_sweep(sweep_dir, base, blocks)
    lock = open(sweep_dir / LOCK_FILE, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when this process ends, however it ends
    except BlockingIOError:
        lock.close()
        raise ValueError(f"another cheesemaze sweep is running on {sweep_dir}; wait for it or stop it") from None
    try:
        return _run_locked(sweep_dir, trials, base, address, cpus, max_retries, poll_seconds)
    finally:
        lock.close()


def _run_locked(sweep_dir: Path, trials: list[Trial], base: TrainConfig, address: str | None, cpus: int | None,
                max_retries: int, poll_seconds: float) -> SweepResult:
    """:func:`run_sweep` once it holds the sweep directory's lock."""
    import ray

    result = SweepResult()
    todo = [t for t in trials if not trial_finished(sweep_dir / t.name, t.config.total_timesteps)]
    result.finished = [t.name for t in trials if t not in todo]
    print(f"sweep {sweep_dir}: {len(trials)} trials, {len(result.finished)} finished, {len(todo)} to train, "
          f"{base.torch_threads} thread(s) each")
    if not todo:
        return result
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a local Ray; a cluster sets its own
    # "local" starts a new Ray even where a `ray start` cluster (or a stale record of one) exists.
    ray.init(address=address or "local", num_cpus=cpus, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    largest = max((node["Resources"].get("CPU", 0) for node in ray.nodes() if node["Alive"]), default=0)
    if base.torch_threads > largest:
        ray.shutdown()
        raise ValueError(f"--torch-threads {base.torch_threads} is more than any node's CPUs ({largest:g})")
    # A fresh worker process per trial (max_calls=1): torch threads and allocator settings are per process.
    task = ray.remote(max_calls=1)(run_trial).options(num_cpus=base.torch_threads, max_retries=max_retries,
                                                      retry_exceptions=True)
    pending = {task.remote(config_to_dict(t.config), str(sweep_dir), t.name): t for t in todo}
    progress = _Progress(sweep_dir, trials, set(result.finished), time.time())
    try:
        with stop_signals_interrupt():
            try:
                _wait_all(pending, result, progress, poll_seconds)
            except KeyboardInterrupt:
                result.interrupted = True
                progress.bar.write("stopping: each running trial saves a checkpoint (rerun the command to resume)")
                for ref in pending:
                    ray.cancel(ref)
                _wait_all(pending, result, progress, poll_seconds)
    finally:
        progress.update()
        progress.bar.close()
        ray.shutdown()
    return result


def _wait_all(pending: dict, result: SweepResult, progress: _Progress, poll_seconds: float) -> None:
    """Collect the tasks in ``pending`` as they end, updating ``result`` and the progress bar."""
    import ray

    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=poll_seconds)
        for ref in ready:
            trial = pending.pop(ref)
            try:
                outcome = ray.get(ref)
            except ray.exceptions.RayError as err:  # raised, crashed, cancelled, out of memory, node lost
                if isinstance(err, ray.exceptions.TaskCancelledError) or "KeyboardInterrupt" in str(err):
                    result.stopped.append(trial.name)
                    continue
                result.failed[trial.name] = str(err).strip().splitlines()[-1]
                progress.failed.add(trial.name)
                progress.bar.write(f"{trial.name}: failed after its retries: {result.failed[trial.name]}")
                continue
            result.nodes[trial.name] = outcome["node"]
            if outcome["finished"]:
                result.finished.append(trial.name)
                progress.done.add(trial.name)
                progress.bar.write(f"{trial.name}: finished at {outcome['steps']:,} steps")
            else:
                result.stopped.append(trial.name)
        progress.update()
