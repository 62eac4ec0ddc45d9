"""How much a chapter's numbers move with the seed: a benchmark, not a test.

    python -m tools.seed_spread chapters/05_lenet_mnist.ipynb \\
        --seeds 1 2 3 4 5 --value test_acc --until "assert test_acc" \\
        --report benchmarks/lenet_seeds.json

runs the notebook once per seed (``CNNBOOK_SEED``), each in a fresh kernel, from
the top down to the first cell whose source contains ``--until`` (the whole
notebook without it), then reads each ``--value`` expression in that kernel. A
cell that fails (an assertion that does not hold under that seed, say) does not
stop the run: the table says which cell failed, and the tool exits with status 1,
so a recipe that misses its target under some seed is seen, not averaged away.
The notebook file itself is never written; ``--report`` writes the results as
JSON (atomically). Nothing here is timed against a limit: the wall time of each
run is reported beside its values.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

PROBE_MARK = "__seed_spread__"


def truncate(cells: list, until: str | None) -> list:
    """The cells up to and including the first code cell whose source contains `until`."""
    if until is None:
        return list(cells)
    for i, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and until in "".join(cell.get("source", "")):
            return list(cells[: i + 1])
    raise SystemExit(f"no code cell contains {until!r}: check --until against the notebook")


def probe_source(values: list[str]) -> str:
    """A cell that prints the values as one JSON line after a marker."""
    pairs = ", ".join(f"{v!r}: float({v})" for v in values)
    return f"import json as _json\nprint({PROBE_MARK!r}, _json.dumps({{{pairs}}}))"


def read_probe(outputs: list) -> dict[str, float] | None:
    for out in outputs:
        text = "".join(out.get("text", "")) if out.get("output_type") == "stream" else ""
        for line in text.splitlines():
            if line.startswith(PROBE_MARK):
                return json.loads(line[len(PROBE_MARK):])
    return None


def first_error(cells: list) -> str | None:
    """'cell N: ExceptionName' for the first cell with an error output, else None."""
    for i, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {i}: {out.get('ename', 'error')}"
    return None


def summarise(runs: list[dict], values: list[str]) -> dict[str, dict[str, float]]:
    """Mean, sample standard deviation, minimum and maximum of each value over the runs."""
    summary = {}
    for v in values:
        xs = [r["values"][v] for r in runs if r.get("values") and v in r["values"]]
        if not xs:
            continue
        mean = sum(xs) / len(xs)
        std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
        summary[v] = {"n": len(xs), "mean": mean, "std": std, "min": min(xs), "max": max(xs)}
    return summary


def run_once(path: Path, seed: int, until: str | None, values: list[str]) -> dict:
    import nbformat
    from nbclient import NotebookClient

    # the book's notebooks carry no cell ids (nbformat only warns about that)
    warnings.filterwarnings("ignore", message="Cell is missing an id field")
    nb = nbformat.read(path, as_version=4)
    nb.cells = truncate(nb.cells, until)
    nb.cells.append(nbformat.v4.new_code_cell(probe_source(values)))
    old = os.environ.get("CNNBOOK_SEED")
    os.environ["CNNBOOK_SEED"] = str(seed)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=1800, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        if old is None:
            os.environ.pop("CNNBOOK_SEED", None)
        else:
            os.environ["CNNBOOK_SEED"] = old
    return {"seed": seed, "seconds": round(time.perf_counter() - start, 1),
            "error": first_error(nb.cells[:-1]), "values": read_probe(nb.cells[-1].outputs)}


def table(runs: list[dict], values: list[str]) -> str:
    head = f"{'seed':>6}" + "".join(f"{v:>16}" for v in values) + f"{'seconds':>9}  failed"
    lines = [head]
    for r in runs:
        got = r["values"] or {}
        cells = "".join(f"{got[v]:16.4f}" if v in got else f"{'-':>16}" for v in values)
        lines.append(f"{r['seed']:>6}{cells}{r['seconds']:9.0f}  {r['error'] or ''}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--value", action="append", required=True,
                    help="a Python expression evaluated in the kernel after the run (repeatable)")
    ap.add_argument("--until", help="stop after the first code cell containing this text")
    ap.add_argument("--report", type=Path, help="write the runs and summary here as JSON")
    args = ap.parse_args(argv)
    if not args.notebook.is_file():
        ap.error(f"{args.notebook} is not a file")
    if any(s < 0 for s in args.seeds) or len(set(args.seeds)) != len(args.seeds):
        ap.error("--seeds must be distinct non-negative integers")
    runs = []
    for seed in args.seeds:
        runs.append(run_once(args.notebook, seed, args.until, args.value))
        print(table(runs[-1:], args.value).splitlines()[-1], flush=True)
    summary = summarise(runs, args.value)
    print(table(runs, args.value))
    for v, s in summary.items():
        print(f"{v}: mean {s['mean']:.4f} ± {s['std']:.4f} (sample std), "
              f"min {s['min']:.4f}, max {s['max']:.4f}, n={s['n']}")
    if args.report:
        from tools.atomic import write_atomic

        report = {"notebook": str(args.notebook), "until": args.until, "runs": runs,
                  "summary": summary, "cpus": os.cpu_count()}
        write_atomic(args.report, json.dumps(report, indent=1) + "\n")
    failed = [r for r in runs if r["error"] or r["values"] is None]
    if failed:
        print(f"{len(failed)} of {len(runs)} runs failed or gave no values", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
