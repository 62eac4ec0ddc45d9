"""Shared code of the CNN course book.

Each module holds one concern and says which chapter teaches it:

- :mod:`helpers.notebook` — per-notebook setup (seeds, determinism, plots, budget),
  and :func:`on_cpu`, the guard of claims that hold on a CPU only.
- :mod:`helpers.exercises` — exercise checks that never print the answer.
- :mod:`helpers.cache` → :mod:`helpers.catalogue` → :mod:`helpers.assets` — the
  verified, download-free asset cache: machinery, the list of assets, fetching by name.
- :mod:`helpers.data`, :mod:`helpers.imagenet`, :mod:`helpers.pretrained` — datasets,
  photos, ImageNet labels and pretrained networks.
- :mod:`helpers.validate` — the one rule for integer arguments (kernel, stride, …).
- :mod:`helpers.timing` — small benchmarking utilities (chapter 01).
- :mod:`helpers.geometry` — output sizes, padding, receptive fields (chapter 02).
- :mod:`helpers.numpy_cnn` — NumPy reference layers, forward and backward (chapter 04).
- :mod:`helpers.models` — the architectures the book trains (chapter 05 on).
- :mod:`helpers.model_stats` — per-layer shapes, parameters, multiply-adds (chapter 05).
- :mod:`helpers.training` — tf.data input, fit with compact output, strategy,
  learning curves, ablations over seeds (chapter 05 on).
- :mod:`helpers.augment` — data augmentation from the formulas (chapter 06).
- :mod:`helpers.pixels` — optimising an image's pixels through a frozen network
  (feature inversion, Deep Dream, style transfer: chapters 13 and 14).
- :mod:`helpers.explain` — saliency, CAM, Grad-CAM, overlays, feature inversion
  and Deep Dream (chapter 13).
- :mod:`helpers.style` — Gram matrices, content and style losses, style transfer
  (chapter 14).
- :mod:`helpers.segmentation` — mask metrics (IoU, Dice, the band along edges),
  segmentation losses, colourised masks and overlays (chapter 15).
- :mod:`helpers.detection` — boxes, IoU, anchors, box encoding, assignment,
  focal loss, NMS, precision–recall and AP (chapter 16).

Modules import in one direction (tests/test_layering.py): assets before data,
data and layers before models, models before training and plots.

Importing :mod:`helpers` is cheap: nothing here imports TensorFlow until a function
that needs it is called.
"""

from helpers.notebook import (
    budget,
    derived_seed,
    device,
    on_cpu,
    quiet,
    rng,
    scaled,
    setup,
    show_source,
)

__all__ = ["budget", "derived_seed", "device", "on_cpu", "quiet", "rng", "scaled",
           "setup", "show_source"]
__version__ = "0.1.0"
