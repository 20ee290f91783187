"""``python -m style_core``: the command line, with options built from StyleConfig's fields.

An ``--output`` ending in .mp4 paints a clip (style_core.video): ``--seconds`` is then the whole run's
time, ``--steps`` each frame's; otherwise a photo is painted into a PNG. ``--style all`` paints the photo
after each of the four masterpieces (style_core.all_four): the figure goes to ``--output``, each painting
beside it (``out-starry-night.png``...), ``--seconds`` the whole run's."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence

import torch
from tqdm import tqdm

from .config import DEVICES, INITS, OPTIMIZERS, POOLINGS, PRECISIONS, PRESERVE_COLORS, STYLE_LOSSES, StyleConfig
from . import all_four, presets
from .image_io import load_image, save_png
from .optimize import stylize
from .video import stylize_video

VIDEO_SUFFIXES = (".mp4", ".m4v")  # what the painted clip is written as (video_io.ClipWriter: an MP4)

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
    parser.add_argument("--content", required=True, help="content photo: a path, or a preset id such as tubingen; "
                                                          "or a clip (MP4, MOV, WebM, AVI, GIF) with an .mp4 --output")
    parser.add_argument("--style", required=True, action="append",
                        help="style image: a path or a preset id (starry-night, the-scream, composition-vii, "
                             "shipwreck-of-the-minotaur); repeat to blend several styles; all: each of the four, "
                             "and the figure of them")
    parser.add_argument("--mask", dest="masks", action="append",
                        help="paint by region: after each --style, a greyscale image (white = that painting's "
                             "region; any size); where no mask covers, the photo stays")
    parser.add_argument("--output", required=True, help="where to write the result: a PNG, or for a clip "
                                                         "(--content clip.mp4) an MP4")
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
        settings = {"content": content, "styles": styles, **({"masks": masks} if masks else {}), **dataclasses.asdict(config)}
        if output.lower().endswith(VIDEO_SUFFIXES):
            if masks:
                raise ValueError("--mask paints a photo by region; a clip is painted whole")
            size = _run_video(content, styles, config, output, settings)
        elif styles == ["all"]:
            if masks:
                raise ValueError("--mask paints one painting by region; --style all paints each of the four whole")
            size = _run_all(content, config, output, settings)
        else:
            result = _run(content, styles, config, masks)
            save_png(result, output, {"deepstyle": json.dumps(settings)})
            size = result.size
    except (ValueError, OSError) as exc:  # our errors are ValueErrors; OSError: the output path
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except torch.OutOfMemoryError:
        at = f"{config.size} px" if config.size else "the automatic size"
        print(f"error: out of memory at {at} on this device: try a smaller --size", file=sys.stderr)
        return 1
    print(f"wrote {output} ({size[0]}×{size[1]})", file=sys.stderr)
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


def _run_all(content: str, config: StyleConfig, output: str, settings: dict) -> tuple[int, int]:
    """The four paintings beside ``output`` (its name, then each painting's id), each with its settings, and the
    figure of them in ``output``; the figure's size."""
    record, photo = None, load_image(presets.resolve_image(content))
    with tqdm(total=len(all_four.FIGURE), unit="painting", file=sys.stderr, dynamic_ncols=True) as bar:
        for record in all_four.stylize_all(photo, config):
            bar.n = record.index + (1 if record.done else 0)
            bar.set_postfix(step=record.progress.step, left=f"{record.eta:.0f}s", refresh=False)
            bar.update(0)
    stem = output[:-4] if output.lower().endswith(".png") else output
    for style, image in zip(record.styles, record.images):
        if image is not None:
            save_png(image, f"{stem}-{style}.png", {"deepstyle": json.dumps({**settings, "styles": [style]})})
    figure = all_four.grid(photo, record.images, [presets.get(s).title for s in record.styles])
    save_png(figure, output, {"deepstyle": json.dumps(settings)})
    return figure.size


def _run_video(content: str, styles: list[str], config: StyleConfig, output: str, settings: dict) -> tuple[int, int]:
    """Paint the clip into ``output``, the plan in a line and then a bar over its frames; the frame size."""
    bar = None
    try:
        for progress in stylize_video(content, styles, config, output=output, metadata=settings):
            if bar is None:
                print(f"painting {progress.plan.describe()}", file=sys.stderr)
                bar = tqdm(total=progress.frames, unit="frame", file=sys.stderr, dynamic_ncols=True)
            bar.n = progress.frame - (0 if progress.finished or progress.done else 1)
            bar.set_postfix(step=progress.step, left=f"{progress.eta:.0f}s", refresh=False)
            bar.update(0)
    finally:
        if bar is not None:
            bar.close()
    return progress.plan.size
