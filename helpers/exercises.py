"""Exercise checks that never show the answer.

Each chapter's exercises come with a check cell::

    answer = ...  # replace ... with your answer
    check("01.1", answer)

which prints "not yet answered" until the reader fills the slot, then says
whether the answer is right. The expected answers are stored only as salted
SHA-256 digests in ``exercise_answers/NN.json`` beside this module (one file
per chapter NN), so neither the notebook nor the book prints them. The
worked solution (behind a fold) calls ``assert check(...)`` with the
computed answer, which keeps every stored digest tested by the notebook
suite.

What the digests promise: they keep answers *out of sight*, not *out of
reach*. A reader who glances at the JSON file learns nothing, but the salt
is in this file and most answers are small integers or numbers with a few
significant digits, so anyone who tries candidates against a digest finds
many of them in seconds. That is the same as turning to the worked solution, which is
one click away anyway; the digests are a courtesy, not a secret.

A digest is taken of a canonical form of the answer: integers exactly,
floats rounded to the significant digits the exercise names, strings
case-folded and stripped, sequences and mappings element by element. When
the exercise names its digits, a number is compared by its rounded value
whatever its type: 1234567 and 1234567.0 are the same answer, and so are
0, 0.0 and -0.0.
Maintainers add an answer with ``python -m helpers.exercises add KEY
VALUE [--digits N]`` (VALUE is a Python literal).
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import numbers
import os
import sys
from pathlib import Path

ANSWERS_DIR = Path(__file__).with_name("exercise_answers")


def _canonical(value, digits: int | None, numbers_as: str = "stored") -> object:
    """A JSON-able canonical form of ``value`` (see the module docstring).

    ``numbers_as`` says how a number with stated ``digits`` is written:
    "stored" as :func:`add` has always stored it (an int exactly, a float
    rounded), "float" rounded as a float, "int" rounded and written as an int
    when whole; :func:`check` accepts any of the three, so that the type of a
    number never decides whether it is right."""
    if value is None or isinstance(value, bool):
        return value
    if hasattr(value, "tolist") and not isinstance(
        value, str
    ):  # NumPy, tensors
        return _canonical(value.tolist(), digits, numbers_as)
    if hasattr(value, "numpy"):
        return _canonical(value.numpy(), digits, numbers_as)
    if isinstance(value, numbers.Integral) and (
            digits is None or numbers_as == "stored"):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            raise ValueError(f"an answer cannot be {x}")
        if x.is_integer() and digits is None:
            return int(x)
        sig = digits if digits is not None else 6
        rounded = float(f"{x:.{sig}g}")
        if numbers_as == "stored":
            return rounded
        rounded += 0.0  # -0.0 -> 0.0
        if numbers_as == "int" and rounded.is_integer():
            return int(rounded)
        return rounded
    if isinstance(value, str):
        return " ".join(value.casefold().split())
    if isinstance(value, dict):
        return {
            str(k): _canonical(v, digits, numbers_as)
            for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
        }
    if isinstance(value, (list, tuple)):
        return [_canonical(v, digits, numbers_as) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v, digits, numbers_as) for v in value),
                      key=repr)
    raise TypeError(
        f"answers are numbers, strings, or lists/tuples/dicts of them; "
        f"got {type(value).__name__}"
    )


def _digits(digits) -> int | None:
    if digits is None:
        return None
    from helpers.validate import as_int

    return as_int(digits, "digits", 1, "an int >= 1 (significant digits)")


def digest(key: str, value, digits: int | None = None,
           numbers_as: str = "stored") -> str:
    """The salted SHA-256 of an answer's canonical form."""
    text = json.dumps(_canonical(value, _digits(digits), numbers_as),
                      sort_keys=True)
    return hashlib.sha256(f"cnn-course-book:{key}:{text}".encode()).hexdigest()


def _answers_file(key: str) -> Path:
    if not isinstance(key, str):
        raise TypeError(f"exercise keys are strings 'NN.k', got {key!r}")
    chapter = key.split(".", 1)[0]
    if not (chapter.isdigit() and "." in key):
        raise ValueError(
            f"exercise keys read 'NN.k' (chapter.number), got {key!r}"
        )
    return ANSWERS_DIR / f"{chapter}.json"


def _answers(key: str) -> dict[str, dict]:
    path = _answers_file(key)
    return json.loads(path.read_text()) if path.exists() else {}


class Verdict:
    """The result of :func:`check`: true only for a right answer.

    It has already printed its message, so as the last value of a cell it
    displays nothing more (no stray ``False`` under "not yet answered").
    """

    def __init__(self, ok: bool) -> None:
        self.ok = bool(ok)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"Verdict({self.ok})"

    def _ipython_display_(self) -> None:
        return None


def check(key: str, answer) -> Verdict:
    """Check a reader's ``answer`` to exercise ``key`` (e.g. ``"01.1"``).

    Prints one line; the result is true only for a right answer. ``...`` (the
    empty slot) prints "not yet answered". Numbers are compared after rounding
    to the significant digits the exercise states, so 0.12345 and 0.1235 both
    pass an exercise that asks for 3 digits.
    """
    answers = _answers(key)
    if key not in answers:
        raise KeyError(
            f"no exercise {key!r}; the chapter's exercises are "
            f"{sorted(k for k in answers if k.startswith(key[:2]))}"
        )
    entry = answers[key]
    if answer is Ellipsis:
        print(
            f"Exercise {key}: not yet answered.\n"
            "Replace ... with your answer and run this cell again."
        )
        return Verdict(False)
    try:
        forms = ("stored", "float", "int") if entry.get("digits") else (
            "stored",)
        ok = any(digest(key, answer, entry.get("digits"), form)
                 == entry["sha256"] for form in forms)
    except (TypeError, ValueError) as err:
        print(f"Exercise {key}: cannot check this answer ({err}).")
        return Verdict(False)
    if ok:
        print(f"Exercise {key}: correct.")
    else:
        hint = entry.get("hint", "")
        print(f"Exercise {key}: not yet right. {hint}".rstrip())
    return Verdict(ok)


def add(key: str, value, digits: int | None = None, hint: str = "") -> None:
    """Store the digest of the right answer to ``key`` (maintainers only).

    The file is replaced atomically, so an interrupted write leaves the old one.
    """
    path = _answers_file(key)
    answers = _answers(key)
    entry: dict[str, object] = {"sha256": digest(key, value, digits)}
    if digits is not None:
        entry["digits"] = digits
    if hint:
        entry["hint"] = hint
    answers[key] = entry
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(answers, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _main(argv: list[str]) -> int:
    usage = (
        "usage: python -m helpers.exercises add KEY VALUE "
        "[--digits N] [--hint TEXT]"
    )
    if len(argv) < 3 or argv[0] != "add":
        print(usage, file=sys.stderr)
        return 2
    key, raw, rest = argv[1], argv[2], argv[3:]
    opts = dict(zip(rest[::2], rest[1::2]))
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    digits = int(opts["--digits"]) if "--digits" in opts else None
    add(key, value, digits, opts.get("--hint", ""))
    print(f"stored the answer to {key} in {_answers_file(key).name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
