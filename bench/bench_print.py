"""Print sizes: does a print keep the screen painting's look, and does it hold brushwork at 100 %?

    python bench/bench_print.py                  # a CPU: 1024 px prints from the 512 px screen painting (~15 min)
    python bench/bench_print.py --device cuda    # a GPU: 2048 and 4096 px prints from the 1024 px screen painting

For each of the four paintings on the Tübingen photo, each print (planned by time: the device's default
time for its screen painting, and for each octave above it as much again, five times as much on a CPU:
schedule.time_parts), against the screen painting it was made from (its last picture at the screen size):
- ``look style`` / ``look content``: its distances brought down to the screen size
  (style_core.quality.distances at the screen size) over the screen painting's own; the print keeps
  the look where both stay within 1.10;
- ``brush``: its brushwork distance at 100 % (quality.brushwork_distance: relu1_1–relu3_1 against the
  painting at the print's size, or at the painting's own pixels) over the screen painting's at its
  own size; within 1.25 it has as much brushwork at its size as the screen painting at its size;
  ``enlarged`` is the same for the screen painting merely enlarged to the print's size;
- wall time, steps, peak memory (GPU: allocated; CPU: the process's resident peak so far), and the
  memory the planner expects (schedule.memory_bytes), so that its model can be checked on each device.
Then ``print_keeps_look_worst=<x> print_brushwork_worst=<y>``. Crops at 100 % (the screen painting
enlarged beside the print) go to bench/out/print-crop-<painting>-<size>.png, or to --out.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from style_core import StyleConfig, load_image, prepare_paintings, presets, stylize, warm_up  # noqa: E402, I001
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from style_core.devices import resolve_device  # noqa: E402
from style_core.quality import brushwork_distance, distances  # noqa: E402
from style_core.optimize import device_key  # noqa: E402
from style_core.schedule import AUTO_SECONDS, memory_bytes, plan, screen_size, time_parts  # noqa: E402

PRINTS = {"cpu": (1024,), "cuda": (2048, 4096)}
CROP = 512  # side of the crops at 100 %


def paint(photo: Image.Image, painting: Image.Image, config: StyleConfig, screen: int) -> dict:
    """A run's picture, wall, steps and peak memory, and for a print the screen painting it was made from
    (the last picture of its screen stages)."""
    device = resolve_device(config.device)
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    shown = None
    for progress in stylize(photo, painting, config):
        if progress.image is not None and max(progress.size) == screen and not progress.done:
            shown = progress.image
        if progress.done:
            wall = time.perf_counter() - start
            peak = (torch.cuda.max_memory_allocated() if device.type == "cuda"
                    else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
            return {"image": progress.image, "wall": wall, "steps": progress.step, "peak_gb": peak / 2**30,
                    "screen": shown}
    raise RuntimeError("stylize() ended without a result")


def crop_pair(screen: Image.Image, printed: Image.Image, path: Path) -> None:
    """The same place at 100 %: the screen painting enlarged (left) and the print (right)."""
    enlarged = screen.resize(printed.size, Image.Resampling.BICUBIC)
    side = min(CROP, *printed.size)
    # the upper middle of the picture: sky and roofs in the Tübingen photo
    left, top = (printed.width - side) // 2, max(0, printed.height // 4 - side // 4)
    box = (left, top, left + side, top + side)
    sheet = Image.new("RGB", (2 * side + 8, side), "white")
    sheet.paste(enlarged.crop(box), (0, 0))
    sheet.paste(printed.crop(box), (side + 8, 0))
    sheet.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--paintings", nargs="+", default=list(presets.STYLE_IDS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--screen", type=int, default=0, help="the screen size, px (0: the device's)")
    parser.add_argument("--seconds", type=float, default=0.0, help="the screen painting's time (0: the device's default)")
    parser.add_argument("--sizes", type=int, nargs="+", help="the print sizes (default: 1024 on a CPU, 2048 4096 on a GPU)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(args.device)
    screen = args.screen or screen_size(device.type)
    seconds = args.seconds or AUTO_SECONDS.get(device.type, 30.0)
    base = StyleConfig(device=args.device, screen_size=screen)
    warm_up(StyleConfig(device=args.device))
    prepare_paintings(presets.STYLE_IDS, base)
    photo = load_image(presets.resolve("tubingen"))
    print(f"torch {torch.__version__}, {device.type}"
          + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else f", {torch.get_num_threads()} threads"))
    print(f"prints of tubingen from the {screen} px screen painting ({seconds:g} s), look at {screen} px")
    print(f"{'painting':26} {'size':>5} {'wall s':>7} {'steps':>6} {'peak GB':>8} {'look style':>10} "
          f"{'look content':>12} {'brush':>6} {'enlarged':>8} {'plan GB':>8}")
    looks, brushes = [], []
    for name in args.paintings:
        painting = load_image(presets.resolve(name))
        for size in args.sizes or PRINTS[device.type]:
            config = base.replace(size=size, seconds=seconds * time_parts(size, screen, device.type))
            printed = paint(photo, painting, config, screen)
            shown = printed["screen"]
            style0, content0 = distances(shown, photo, painting, screen)
            brush0 = brushwork_distance(shown, painting)
            key = device_key(device.type, config.precision)
            planned = (f"{memory_bytes(plan(photo.size, config, key), config, key[1]) / 2**30:>8.2f}"
                       if device.type == "cuda" else f"{'-':>8}")  # the planner models GPU memory only
            style, content = distances(printed["image"], photo, painting, screen)
            brush = brushwork_distance(printed["image"], painting) / brush0
            enlarged = brushwork_distance(shown.resize(printed["image"].size, Image.Resampling.BICUBIC),
                                          painting) / brush0
            looks.append(max(style / style0, content / content0))
            brushes.append(brush)
            print(f"{name:26} {size:>5} {printed['wall']:>7.1f} {printed['steps']:>6} {printed['peak_gb']:>8.2f} "
                  f"{style / style0:>10.3f} {content / content0:>12.3f} {brush:>6.2f} {enlarged:>8.2f} {planned}",
                  flush=True)
            crop_pair(shown, printed["image"], args.out / f"print-crop-{name}-{size}.png")
    print(f"print_keeps_look_worst={max(looks):.3f} print_brushwork_worst={max(brushes):.2f} prints={len(looks)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
