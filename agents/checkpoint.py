"""Checkpoints that hold tensors only, with a manifest that catches truncation and tampering.

A checkpoint is two files: ``<name>.pt`` (a dict of tensors and plain numbers, read back with
``torch.load(weights_only=True)``, so loading never runs code from the file) and ``<name>.json``
(step counters and the SHA-256 of the ``.pt``). Both are written atomically, the tensors first.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import torch

from cheesemaze.envs.files import atomic_write_json, write_atomic

CHECKPOINT_DIR = "checkpoints"
"""A run directory's folder of checkpoints: ``latest`` (periodic) and ``final`` (end of training)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_checkpoint(path: Path, tensors: dict[str, Any], meta: dict[str, Any]) -> None:
    """Save ``tensors`` (state dicts, counters) to ``path`` (.pt) and ``meta`` plus its hash beside it."""
    path = Path(path)
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    manifest = dict(meta, file=path.name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    atomic_write_json(path.with_suffix(".json"), manifest)


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest (``<name>.json``: step counters, size, SHA-256) of the checkpoint ``<name>.pt``;
    ``ValueError`` when either file is missing or the manifest is not JSON. Checks nothing else."""
    path = Path(path)
    manifest_path = path.with_suffix(".json")
    if not path.is_file():
        raise ValueError(f"checkpoint {path}: no such file")
    if not manifest_path.is_file():
        raise ValueError(f"checkpoint {path} is incomplete: its manifest {manifest_path.name} is missing")
    try:
        return json.loads(manifest_path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"checkpoint manifest {manifest_path} is not valid JSON: {err}") from err


def load_checkpoint(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load a checkpoint's tensors and manifest, checking the hash; ``ValueError`` on any defect."""
    path = Path(path)
    manifest = read_manifest(path)
    size = path.stat().st_size
    if size != manifest.get("bytes"):
        raise ValueError(f"checkpoint {path} is truncated or altered: {size} bytes, manifest says {manifest.get('bytes')}")
    if sha256_file(path) != manifest.get("sha256"):
        raise ValueError(f"checkpoint {path} does not match its manifest's SHA-256: it was altered")
    return read_tensors(path), manifest


def read_tensors(path: Path) -> dict[str, Any]:
    """The tensors of a checkpoint file, never running code from it; ``ValueError`` in one line of our own
    when torch cannot read it (torch's own message runs to a page and advises ``weights_only=False``)."""
    if not zipfile.is_zipfile(path):
        raise ValueError(f"checkpoint {path} is not a torch file, though it matches its manifest (both were "
                         "written so): restore it or train again")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for unreadable or unsafe files
        raise ValueError(f"checkpoint {path} cannot be read as tensors only (torch: {type(err).__name__}): it is "
                         "damaged, or holds code, which loading never runs") from err


def save_run_checkpoint(model: Any, run_dir: Path, name: str, wall_seconds: float) -> Path:
    """Save a PPO model's policy, optimizer and step counters as ``<run_dir>/checkpoints/<name>.pt``."""
    path = Path(run_dir) / CHECKPOINT_DIR / f"{name}.pt"
    meta = {"num_timesteps": int(model.num_timesteps), "n_updates": int(model._n_updates),
            "wall_seconds": round(wall_seconds, 1)}
    # The counters travel inside the tensors file too, so a manifest left stale by a kill between the
    # two renames can be rebuilt from the file itself (repair_manifest).
    tensors = {"policy": model.policy.state_dict(), "optimizer": model.policy.optimizer.state_dict(),
               "counters": meta}
    save_checkpoint(path, tensors, meta)
    return path


def repair_manifest(path: Path) -> bool:
    """Rebuild a run checkpoint's manifest from the counters inside its tensors file, for a file whose
    manifest a kill left stale or missing (the ``.pt`` itself is always renamed into place whole).
    Only for checkpoints this project wrote; returns whether the checkpoint loads afterwards."""
    path = Path(path)
    try:
        tensors = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch raises several types for unreadable files
        return False
    if not isinstance(tensors, dict) or not isinstance(tensors.get("counters"), dict):
        return False
    data = path.read_bytes()
    manifest = dict(tensors["counters"], file=path.name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    atomic_write_json(path.with_suffix(".json"), manifest)
    try:
        load_checkpoint(path)
    except ValueError:
        return False
    return True


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict) -> None:
    """Load a saved optimizer state but keep this build's implementation choice (fused, foreach):
    ``load_state_dict`` would restore the one the checkpoint was saved with, which for older runs is
    the slow per-tensor loop. The choice goes into the state before loading, because torch places
    each saved step counter by it (the fused kernel needs them on the parameters' device)."""
    chosen = [{k: group[k] for k in ("fused", "foreach")} for group in optimizer.param_groups]
    groups = [{**saved, **ours} for saved, ours in zip(state["param_groups"], chosen)]
    optimizer.load_state_dict({**state, "param_groups": groups})
