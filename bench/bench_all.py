"""All four at once: does each painting look as it would painted alone in its share of the time, on time?

    python bench/bench_all.py                      # 2 min on Tübingen and ../shared's two photos (~13 min)
    python bench/bench_all.py --photo tubingen --seconds 60
    python bench/bench_all.py --server             # through the real app's /stylize_all (gradio_client)
    python bench/bench_all.py --batch --device cuda  # four canvases through VGG-19 together, or in turn?

For each photo, ``stylize_all`` at the time asked (the paper's four masterpieces in turn), and in the same run
each masterpiece painted alone (``stylize``) in a quarter of that time. Printed: the wall time over the time
asked (goal: within 1.15), the records streamed (goal: 8 or more; through the server: the updates the client
received), and each painting's style and content distances (style_core.quality, at its size) over the single
painting's (goal: within 1.25 on both). The figure of each photo goes to bench/out/all-<photo>.png.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from style_core import StyleConfig, load_image, presets, stylize, warm_up  # noqa: E402, I001
from style_core.all_four import FIGURE, grid, stylize_all  # noqa: E402
from style_core.quality import distances  # noqa: E402

PHOTOS = {"tubingen": presets.resolve("tubingen"),
          "golden-gate": ROOT.parent / "shared" / "photos" / "golden-gate.jpg",
          "hoover-tower-night": ROOT.parent / "shared" / "photos" / "hoover-tower-night.jpg"}


def run(name: str, path: Path, seconds: float, out: Path, server=None) -> list[tuple[float, float]]:
    photo = load_image(path)
    config = StyleConfig(seconds=seconds)
    started = time.perf_counter()
    if server is None:
        records, last = 0, None
        for last in stylize_all(photo, config):
            records += 1
        styles, images = last.styles, last.images
    else:  # as an API caller: the updates received, the four PNGs returned
        from gradio_client import Client, handle_file

        job = Client(server.url, verbose=False).submit(content=handle_file(str(path)), seconds=seconds,
                                                       api_name="/stylize_all")
        records = sum(1 for _ in job)
        _figure, status, files = job.result()
        styles, images = FIGURE, [load_image(f) for f in files[:4]]
        print(f"  status: {status}", flush=True)
    wall = time.perf_counter() - started
    print(f"photo={name} asked={seconds:.0f}s wall={wall:.1f}s on_time={wall / seconds:.3f} "
          f"{'updates' if server else 'records'}={records}", flush=True)
    ratios = []
    for style, image in zip(styles, images):
        alone = [p.image for p in stylize(photo, style, config.replace(seconds=seconds / 4)) if p.done][0]
        painting = load_image(presets.resolve(style))
        side = max(image.size)
        ours, single = distances(image, photo, painting, side), distances(alone, photo, painting, side)
        ratios.append((ours[0] / single[0], ours[1] / single[1]))
        print(f"  {style}: style {ours[0]:.4f} vs alone {single[0]:.4f} ({ratios[-1][0]:.2f}x), "
              f"content {ours[1]:.3f} vs alone {single[1]:.3f} ({ratios[-1][1]:.2f}x)", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    grid(photo, images, [presets.get(s).title for s in styles]).save(out / f"all-{name}.png")
    return ratios


def batch_table(device: str) -> int:
    """A forward + backward (bench_speed.plain_step_ms) of four canvases in one batch against one, per picture:
    below 1.0 a batch of four would pay."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_speed import plain_step_ms
    from style_core.devices import resolve_device

    where = resolve_device(device)
    precision = StyleConfig().precision
    sizes = (512, 1024) if where.type == "cuda" else (256, 512)
    print(f"a batch of four against one at a time ({where}, {precision}), ms per picture")
    for size in sizes:
        one, four = plain_step_ms(size, device, precision), plain_step_ms(size, device, precision, batch=4) / 4
        print(f"{size:5d} px: one {one:8.1f}  batch of four {four:8.1f}  ratio {four / one:.2f}", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photo", action="append", choices=sorted(PHOTOS), help="again for more; default: all three")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--server", action="store_true", help="through the real app's /stylize_all")
    parser.add_argument("--batch", action="store_true",
                        help="only a forward + backward of four canvases together against four in turn")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if args.batch:
        return batch_table(args.device)
    chosen = [(name, PHOTOS[name]) for name in (args.photo or PHOTOS) if PHOTOS[name].is_file()]
    warm_up(StyleConfig())
    worst = [0.0, 0.0]
    with contextlib.ExitStack() as stack:
        server = None
        if args.server:
            sys.path.insert(0, str(ROOT / "tests"))
            from appserver import serve

            server = stack.enter_context(serve(Path(stack.enter_context(tempfile.TemporaryDirectory()))))
        for name, path in chosen:
            for style_ratio, content_ratio in run(name, path, args.seconds, args.out, server):
                worst = [max(worst[0], style_ratio), max(worst[1], content_ratio)]
    print(f"worst over single paintings: style {worst[0]:.2f}x, content {worst[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
