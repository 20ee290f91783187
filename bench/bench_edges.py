"""Edges: does a painting keep a frame, a dotted rim or a band along its edges?

    python bench/bench_edges.py                    # the four paintings on the Tübingen photo and ../shared/photos (~7 min)
    python bench/bench_edges.py --seconds 10 --photos tubingen

Each pair painted as the page paints it (the default time, the screen size), then measured with
style_core.quality.edge_profile: per edge, the largest colour shift of a line of the outer 16 px from the
32 px just inside (0-255: a frame) and the largest ratio of a line's stroke energy to theirs (a dotted rim,
a band). The same measure on the photo itself is the reference: a photo's own edge (a sky, a road) is
not the painting's doing. Crops of each painting's four corners at 200 % go to bench/out/edges-*.png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from style_core import StyleConfig, load_image, presets, stylize, warm_up  # noqa: E402
from style_core.image_io import fit_size, resize  # noqa: E402
from style_core import features  # noqa: E402
from style_core.quality import SIDES, edge_profile  # noqa: E402

SHARED = ROOT.parent / "shared" / "photos"
OUT = ROOT / "bench" / "out"


def painting(photo: Path, style: str, seconds: float) -> Image.Image:
    for progress in stylize(photo, style, StyleConfig(seconds=seconds)):
        if progress.done:
            return progress.image
    raise RuntimeError("the run ended without a picture")


def corners(image: Image.Image, path: Path, crop: int = 48) -> None:
    """The four corners side by side at 200 %: where a frame or a rim shows first."""
    width, height = image.size
    boxes = [(0, 0), (width - crop, 0), (0, height - crop), (width - crop, height - crop)]
    sheet = Image.new("RGB", (4 * 2 * crop + 3 * 8, 2 * crop), "white")
    for number, (x, y) in enumerate(boxes):
        tile = image.crop((x, y, x + crop, y + crop)).resize((2 * crop, 2 * crop), Image.NEAREST)
        sheet.paste(tile, (number * (2 * crop + 8), 0))
    sheet.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--photos", nargs="*", default=None, help="names (without .jpg); default: all")
    parser.add_argument("--edges", nargs="*", default=[features.EDGE], choices=("reflect", "replicate", "zeros"),
                        help="the canvas's border in blocks 1-2 (features.EDGE), each measured in turn")
    args = parser.parse_args(argv)
    photos = {"tubingen": presets.PRESETS_DIR / "tubingen.jpg"}
    if SHARED.is_dir():
        photos.update({p.stem: p for p in sorted(SHARED.glob("*.jpg")) if p.stem != "tubingen"})
    else:
        print(f"({SHARED} is absent: the Tübingen photo only)")
    if args.photos:
        photos = {name: path for name, path in photos.items() if name in args.photos}
    warm_up()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"{'photo':<20} {'painting':<28} " + " ".join(f"{side:>13}" for side in SIDES) + "   (colour shift / energy ratio)")
    for name, path in photos.items():
        photo = load_image(path)
        reference = edge_profile(resize(photo, fit_size(photo.size, 512)))
        print(f"{name:<20} {'(the photo)':<28} " + " ".join(f"{s:5.1f} / {r:4.2f}" for s, r in reference.values()))
    for edge in args.edges:
        features.EDGE = edge
        worst, ratios = [0.0, 0.0], []
        for name, path in photos.items():
            for style in presets.STYLE_IDS:
                image = painting(path, style, args.seconds)
                profile = edge_profile(image)
                corners(image, OUT / f"edges-{edge}-{name}-{style}.png")
                worst = [max(worst[0], *(s for s, _ in profile.values())), max(worst[1], *(r for _, r in profile.values()))]
                ratios += [r for _, r in profile.values()]
                print(f"{name:<20} {style + ' (' + edge + ')':<28} " + " ".join(f"{s:5.1f} / {r:4.2f}" for s, r in profile.values()))
        print(f"{edge}: worst colour shift {worst[0]:.1f}, worst energy ratio {worst[1]:.2f}, "
              f"mean energy ratio {sum(ratios) / len(ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
