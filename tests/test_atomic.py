"""tools.atomic.write_atomic: the target is replaced whole or left as it was."""

from pathlib import Path

import pytest

from tools.atomic import write_atomic


def test_writes_text_and_bytes_and_creates_the_folder(tmp_path: Path):
    target = tmp_path / "new" / "file.txt"
    write_atomic(target, "héllo\n")
    assert target.read_text(encoding="utf-8") == "héllo\n"
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]


def test_a_failed_write_leaves_the_target_and_no_temporary_file(tmp_path: Path):
    target = tmp_path / "file.txt"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_atomic(target, 42)  # neither text nor bytes: write_text refuses it
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]
