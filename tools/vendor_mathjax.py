"""Put MathJax 3 into ``_vendor/mathjax/`` (copied to the HTML root) so the built book renders maths offline.

Taken from the npm package via the asset cache. If it cannot be had, a tiny loader
that pulls MathJax from its CDN is written instead (maths then needs internet) and a
warning says how to fix it. ``_config.yml`` points ``mathjax_path`` here.
"""

from __future__ import annotations

import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

from helpers import assets

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "_vendor" / "mathjax"
KEEP = ("tex-mml-chtml.js", "output/chtml/fonts/woff-v2/", "input/tex/extensions/", "ui/", "a11y/")
CDN = "https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/tex-mml-chtml.js"


def vendor() -> str:
    if (TARGET / "tex-mml-chtml.js").is_file() and (TARGET / ".from-npm").is_file():
        return "present"
    tmp = Path(tempfile.mkdtemp(dir=TARGET.parent if TARGET.parent.exists() else None))
    try:
        try:
            tarball = assets.fetch("mathjax")
            with tarfile.open(tarball) as tar:
                for m in tar.getmembers():
                    name = assets.check_member_name(m.name)
                    rel = name.removeprefix("package/es5/")
                    if rel == name or not m.isfile() or not rel.startswith(KEEP):
                        continue
                    out = tmp / rel
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(tar.extractfile(m).read())
            (tmp / ".from-npm").write_text("mathjax@3.2.2\n")
            how = "vendored from npm mathjax@3.2.2"
        except assets.AssetError as e:
            print(f"warning: MathJax not vendored ({e}); the book will load it from a CDN.\n"
                  "  fix: install Node.js/npm, then run `make book` again", file=sys.stderr)
            (tmp / "tex-mml-chtml.js").write_text(
                f"(function(){{var s=document.createElement('script');s.src='{CDN}';"
                "s.async=true;document.head.appendChild(s);}})();\n")
            how = "CDN loader"
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(TARGET, ignore_errors=True)
        tmp.replace(TARGET)
        return how
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    print(f"MathJax: {vendor()}")
