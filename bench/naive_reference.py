"""The naive baseline's distances, computed once and kept in bench/naive_reference.json.

    python bench/naive_reference.py                 # all 12 pairs: about 2 hours on 2 CPU cores (AVX2)
    python bench/naive_reference.py --only tubingen  # the pairs of one photo
    python bench/naive_reference.py --redo           # recompute pairs already in the file

The naive run is plain Gatys et al.: one scale at 512 px, 300 L-BFGS steps from the photo, style
weight 10, Gram loss over relu1_1..relu5_1, content at relu4_2 (``NAIVE`` below, every field
written out, so later changes of the engine's defaults do not move the baseline). Each of the four
paintings × three photos (the Tübingen photo shipped in presets/, and ../shared/photos) is scored
with ``style_core.quality.distances`` at 512 px; bench/bench_speed.py compares the default run of
each pair against these figures. The pictures go to bench/out/naive/ (not kept in the repository).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from style_core import StyleConfig, load_image, presets, stylize  # noqa: E402
from style_core.quality import distances  # noqa: E402

REFERENCE = ROOT / "bench" / "naive_reference.json"
EVAL_SIZE = 512
PHOTOS = {"tubingen": presets.PRESETS_DIR / "tubingen.jpg",
          "golden-gate": ROOT.parent / "shared" / "photos" / "golden-gate.jpg",
          "hoover-tower-night": ROOT.parent / "shared" / "photos" / "hoover-tower-night.jpg"}
NAIVE = dict(size=512, steps=300, scales=1, style_weight=10.0, content_weight=1.0, tv_weight=1.0, style_scale=1.0,
             content_layers=("relu4_2",), style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
             style_layer_weights=(1.0,) * 5, style_loss="gram", init="content", optimizer="lbfgs", pooling="avg",
             precision="auto", preview_every=1000, device="cpu")


def pairs(only: str | None = None) -> list[tuple[str, str]]:
    """(photo name, painting id) for every photo present, every painting."""
    return [(photo, style) for photo, path in PHOTOS.items() if path.is_file() and only in (None, photo)
            for style in presets.STYLE_IDS]


def load_reference() -> dict:
    return json.loads(REFERENCE.read_text()) if REFERENCE.is_file() else {"config": {}, "pairs": {}}


def run_pair(photo: str, style: str, out: Path) -> dict:
    content = load_image(PHOTOS[photo])
    painting = load_image(presets.resolve(style))
    result = next(p for p in stylize(content, painting, StyleConfig(**NAIVE)) if p.done).image
    result.save(out / f"{photo}--{style}.png")
    style_d, content_d = distances(result, content, painting, EVAL_SIZE)
    # Distances only: the file's figures must not depend on the machine, or on what else it was doing.
    return {"style": round(style_d, 5), "content": round(content_d, 5)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="the pairs of this photo only")
    parser.add_argument("--redo", action="store_true", help="recompute pairs already in the file (a cut run resumes)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = ROOT / "bench" / "out" / "naive"
    out.mkdir(parents=True, exist_ok=True)
    reference = load_reference()
    reference["config"] = asdict(StyleConfig(**NAIVE))
    reference["command"] = "python bench/naive_reference.py"
    for photo, style in pairs(args.only):
        if f"{photo}--{style}" in reference["pairs"] and not args.redo:
            continue
        figures = run_pair(photo, style, out)
        reference["pairs"][f"{photo}--{style}"] = figures
        REFERENCE.write_text(json.dumps(reference, indent=1) + "\n")  # after each pair: a long run may be cut
        print(f"{photo:20} {style:28} style {figures['style']:.4f} content {figures['content']:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
