"""One way the maintainer tools write a generated file: whole or not at all.

Standard library only (``tools.colab_sim`` runs it on a bare Python). The text or
bytes go to ``<name>.tmp`` beside the target, which then replaces the target in one
rename; if writing fails, the temporary file is removed and the target is untouched.
"""

from __future__ import annotations

from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` (text as UTF-8), creating its folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
