"""Atomic writes: all or nothing, with the permissions an ordinary write would give."""

from __future__ import annotations

import os
import stat

import pytest

from _sdk import atomic_write_bytes, atomic_write_text


def test_atomic_write_replaces_content_with_umask_permissions(tmp_path):
    target = tmp_path / "sub" / "out.json"
    atomic_write_text(target, "uno")
    atomic_write_text(target, "dos")
    assert target.read_text(encoding="utf-8") == "dos"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    atomic_write_bytes(target, b"old")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
