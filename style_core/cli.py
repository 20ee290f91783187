"""``python -m style_core``: the command line, with options built from StyleConfig's fields."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence

import torch
from tqdm import tqdm

from .config import DEVICES, INITS, OPTIMIZERS, POOLINGS, PRECISIONS, PRESERVE_COLORS, STYLE_LOSSES, StyleConfig
from .image_io import save_png
from .optimize import stylize

# Options the CLI names differently from StyleConfig, or takes as repeated flags.
_RENAMED = {"style_blend": "--blend"}
_CHOICES = {"optimizer": OPTIMIZERS, "init": INITS, "pooling": POOLINGS, "device": DEVICES, "precision": PRECISIONS,
            "style_loss": STYLE_LOSSES}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m style_core",
        description="Repaint a photo in the style of a painting (Gatys, Ecker & Bethge, 2015).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--content", required=True, help="content photo: a path, or a preset id such as tubingen")
    parser.add_argument("--style", required=True, action="append",
                        help="style image: a path or a preset id (starry-night, the-scream, composition-vii, "
                             "shipwreck-of-the-minotaur); repeat to blend several styles")
    parser.add_argument("--mask", dest="masks", action="append",
                        help="paint by region: after each --style, a greyscale image (white = that painting's "
                             "region; any size); where no mask covers, the photo stays")
    parser.add_argument("--output", required=True, help="where to write the PNG result")
    parser.add_argument("--preserve-color", dest="preserve_color", nargs="?", const="luminance",
                        default=StyleConfig.preserve_color, choices=PRESERVE_COLORS,
                        help="keep the photo's colours (alone: luminance)")
    for field in dataclasses.fields(StyleConfig):
        if field.name == "preserve_color":
            continue
        flag = _RENAMED.get(field.name, "--" + field.name.replace("_", "-"))
        default = field.default
        kwargs = {"dest": field.name, "default": default, "help": field.metadata["help"]}
        if isinstance(default, tuple):
            item_type = str if field.name.endswith("layers") else float
            kwargs.update(nargs="+", type=item_type)
        else:
            kwargs.update(type=type(default), choices=_CHOICES.get(field.name))
        parser.add_argument(flag, **kwargs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 out of memory, 2 bad input)."""
    parser = build_parser()
    args = vars(parser.parse_args(argv))
    content, styles, masks, output = args.pop("content"), args.pop("style"), args.pop("masks"), args.pop("output")
    settings = {k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}
    try:
        config = StyleConfig(**settings)
        result = _run(content, styles, config, masks)
        settings = {"content": content, "styles": styles, **({"masks": masks} if masks else {}), **dataclasses.asdict(config)}
        save_png(result, output, {"deepstyle": json.dumps(settings)})
    except (ValueError, OSError) as exc:  # our errors are ValueErrors; OSError: the output path
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except torch.OutOfMemoryError:
        at = f"{config.size} px" if config.size else "the automatic size"
        print(f"error: out of memory at {at} on this device: try a smaller --size", file=sys.stderr)
        return 1
    print(f"wrote {output} ({result.width}×{result.height})", file=sys.stderr)
    return 0


def _run(content: str, styles: list[str], config: StyleConfig, masks: list[str] | None):
    with tqdm(total=config.steps, unit="step", file=sys.stderr, dynamic_ncols=True) as bar:
        for progress in stylize(content, styles, config, masks=masks):
            bar.total = progress.total_steps
            bar.n = progress.step
            bar.set_postfix(scale=f"{progress.scale}/{progress.scales}", loss=f"{progress.loss:.3g}", refresh=False)
            bar.update(0)
            if progress.done:
                return progress.image
    raise RuntimeError("stylize() ended without a result")
