"""helpers.exercises: checks that never print the answer, and stored digests."""

import json

import numpy as np
import pytest

from helpers import exercises


@pytest.fixture
def answers_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(exercises, "ANSWERS_DIR", tmp_path)
    return tmp_path


def test_empty_slot_says_not_yet_answered(answers_dir, capsys):
    exercises.add("98.1", (10, 58, 58, 16))
    assert not exercises.check("98.1", ...)
    out = capsys.readouterr().out
    assert "not yet answered" in out and "58" not in out


def test_right_and_wrong_answers(answers_dir, capsys):
    exercises.add("98.1", (10, 58, 58, 16), hint="Count the valid positions.")
    assert exercises.check("98.1", [10, 58, 58, 16])
    assert exercises.check("98.1", np.array([10, 58, 58, 16]))
    assert not exercises.check("98.1", (10, 60, 60, 16))
    out = capsys.readouterr().out
    assert "correct" in out and "Count the valid positions." in out


def test_floats_compare_to_the_stated_digits(answers_dir):
    exercises.add("98.2", 0.123456, digits=3)
    assert exercises.check("98.2", 0.1234)
    assert exercises.check("98.2", np.float32(0.12301))
    assert not exercises.check("98.2", 0.125)


def test_strings_and_dicts_are_canonical(answers_dir):
    exercises.add("98.3", {"b": 2, "a": "Max Pooling"})
    assert exercises.check("98.3", {"a": "  max   pooling ", "b": 2.0})


def test_the_file_holds_no_answer_in_clear(answers_dir):
    exercises.add("98.4", 2368)
    text = (answers_dir / "98.json").read_text()
    assert "2368" not in text and json.loads(text)["98.4"]["sha256"]
    assert not list(answers_dir.glob("*.tmp")), "the write is atomic, no temp file left"


def test_bad_keys_and_answers(answers_dir, capsys):
    with pytest.raises(KeyError, match="no exercise"):
        exercises.check("98.9", 1)
    with pytest.raises(ValueError, match="NN.k"):
        exercises.check("first", 1)
    exercises.add("98.5", 1)
    assert not exercises.check("98.5", object())
    assert "cannot check" in capsys.readouterr().out
    assert not exercises.check("98.5", float("nan"))


def test_every_stored_answer_file_is_valid():
    for path in exercises.ANSWERS_DIR.glob("*.json"):
        data = json.loads(path.read_text())
        for key, entry in data.items():
            assert key.startswith(path.stem + "."), (path, key)
            assert len(entry["sha256"]) == 64


def test_verdict_displays_nothing_in_a_notebook(answers_dir):
    exercises.add("98.6", 5)
    verdict = exercises.check("98.6", 5)
    assert verdict and verdict._ipython_display_() is None
    assert repr(verdict) == "Verdict(True)"
