"""Atomic writes: whole files or none, with a plain open's permissions."""

from __future__ import annotations

import json
import os
import stat

import pytest

from cheesemaze.envs.files import atomic_write_json, write_atomic


def test_write_atomic_replaces_whole_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "f.txt"
    write_atomic(path, "first")
    write_atomic(path, b"second")
    assert path.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_write_atomic_gives_the_permissions_of_a_plain_open(tmp_path):
    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "atomic.txt", "x")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "atomic.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == 0o644


def test_atomic_write_json_creates_the_folder_and_writes_indented_json(tmp_path):
    path = tmp_path / "new" / "folder" / "record.json"
    atomic_write_json(path, {"b": [1, 2], "a": None})
    assert json.loads(path.read_text()) == {"b": [1, 2], "a": None}
    assert path.read_text().startswith('{\n  "b"') and path.read_text().endswith("}\n")


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "f.txt"
    write_atomic(path, "old")
    with pytest.raises(TypeError):
        write_atomic(path, 123)  # the temporary file exists when the write fails
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
