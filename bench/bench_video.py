"""Video: does a painted clip flicker, does its look hold from the first frame to the last, is it on time?

    python bench/bench_video.py                          # the 2 min choice on ../shared/videos/vtest.avi (~6 min)
    python bench/bench_video.py --seconds 30 --style the-scream
    python bench/bench_video.py --pace                   # seconds per frame at each size (a GPU: ms per frame)
    python bench/bench_video.py --device cuda --seconds 30

A clip painted as the page paints it (``stylize_video``, planned by time), and in the same run the
baseline: every frame painted on its own (``stylize``, from its photo) with the same time per frame.
- ``flicker``: the warping error between consecutive painted frames (mean |frame t - frame t-1 moved to t
  along the flow|, 0-255, over the pixels where the forward and backward flows agree; flow.warping_error),
  over the same measure on the photo frames. Goals: ours at most half the baseline's, at most 2× the photo's.
- ``look``: each frame's style and content distances (style_core.quality, at the frame's size) over the
  first frame's; the look holds where every frame's, the last included, stays within 1.15.
- ``on time``: the wall time over the time asked for (within 15 %), and the plan's line.
- ``--pace``: a following frame's seconds (8 steps, its flows and targets) at each size.
Frames (first, middle, last; ours above the baseline) go to bench/out/video-<painting>.png.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from style_core import StyleConfig, presets, stylize, warm_up  # noqa: E402, I001
from PIL import Image  # noqa: E402

from style_core import flow, video_io  # noqa: E402
from style_core.devices import resolve_device  # noqa: E402
from style_core.optimize import device_key  # noqa: E402
from style_core.quality import distances  # noqa: E402
from style_core.video import plan_video, stylize_video  # noqa: E402

CLIP = ROOT.parent / "shared" / "videos" / "vtest.avi"
PACE_SIDES = {"cpu": (256, 320, 384, 512), "cuda": (512, 1024)}


def painted(clip: Path, style: str, config: StyleConfig) -> tuple[list[Image.Image], float, object]:
    frames, start, plan = [], time.perf_counter(), None
    for progress in stylize_video(clip, style, config):
        plan = progress.plan
        if progress.finished:
            frames.append(progress.image)
    return frames, time.perf_counter() - start, plan


def baseline(photos: list[Image.Image], style: str, config: StyleConfig, seconds: float) -> list[Image.Image]:
    """Each frame painted on its own from its photo, ``seconds`` each, at the frames' size."""
    frames = []
    for photo in photos:
        for progress in stylize(photo, style, config.replace(size=max(photo.size), seconds=seconds)):
            if progress.done:
                frames.append(progress.image)
    return frames


def flicker(frames: list[Image.Image], links: list[flow.Motion]) -> float:
    return statistics.mean(flow.warping_error(b, a, link) for a, b, link in zip(frames, frames[1:], links))


def look(frames: list[Image.Image], photos: list[Image.Image], style: Image.Image) -> list[tuple[float, float]]:
    """Each frame's (style, content) distances over the first frame's."""
    measured = [distances(frame, photo, style, max(frame.size)) for frame, photo in zip(frames, photos)]
    return [(s / measured[0][0], c / measured[0][1]) for s, c in measured]


def strip(rows: list[list[Image.Image]], path: Path) -> None:
    picks = [[row[0], row[len(row) // 2], row[-1]] for row in rows]
    width, height = picks[0][0].size
    sheet = Image.new("RGB", (3 * width, len(picks) * height), "white")
    for r, row in enumerate(picks):
        for c, image in enumerate(row):
            sheet.paste(image, (c * width, r * height))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def pace(clip: Path, device: str) -> None:
    key = device_key(resolve_device(device).type, "auto")
    info = video_io.probe(clip)
    for side in PACE_SIDES.get(key[0], PACE_SIDES["cpu"]):
        config = StyleConfig(device=device, size=side, steps=8, fps=min(10.0, info.fps), clip_seconds=0.7)
        times, last = [], None
        for progress in stylize_video(clip, "starry-night", config):
            if progress.finished:
                now = time.perf_counter()
                if last is not None and progress.frame > 2:  # the second frame also sets up the first's objects
                    times.append(now - last)
                last = now
        size = video_io.even_size(info.size, side)
        print(f"pace side={side} frame={size[0]}x{size[1]} seconds_per_frame={statistics.median(times):.3f} "
              f"(8 steps, median of {len(times)})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--style", default="starry-night")
    parser.add_argument("--seconds", type=float, default=0.0, help="0: the device's default (2 min on a CPU)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--pace", action="store_true", help="only seconds per frame at each size")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    if not args.clip.is_file():
        print(f"no clip at {args.clip}: give one with --clip (../shared is not beside this checkout)")
        return 2
    warm_up(StyleConfig(device=args.device))
    if args.pace:
        pace(args.clip, args.device)
        return 0
    config = StyleConfig(device=args.device, seconds=args.seconds)
    key = device_key(resolve_device(args.device).type, config.precision)
    plan = plan_video(video_io.probe(args.clip), config, key)
    print(f"plan: {plan.describe()}; {plan.frames} frames, {plan.steps} steps each after the first", flush=True)
    ours, wall, plan = painted(args.clip, args.style, config)
    asked = plan.seconds  # by time: the time asked for
    photos = list(video_io.read_frames(args.clip, plan.size, plan.fps, len(ours)))
    alone = baseline(photos, args.style, config, wall / len(ours))
    links = [flow.motion(a, b) for a, b in zip(photos, photos[1:])]
    own, ours_f, alone_f = flicker(photos, links), flicker(ours, links), flicker(alone, links)
    painting = Image.open(presets.resolve(args.style)).convert("RGB")
    held = look(ours, photos, painting)
    worst_style, worst_content = max(s for s, _ in held), max(c for _, c in held)
    print(f"frames={len(ours)} size={plan.size[0]}x{plan.size[1]} fps={plan.fps:g} wall={wall:.1f}s "
          f"asked={asked:.0f}s on_time={wall / asked:.3f} seconds_per_frame={wall / len(ours):.2f}")
    print(f"flicker photo={own:.2f} ours={ours_f:.2f} baseline={alone_f:.2f} "
          f"ours_vs_baseline={ours_f / alone_f:.2f} ours_vs_photo={ours_f / own:.2f}")
    print(f"look last_style={held[-1][0]:.3f} last_content={held[-1][1]:.3f} worst_style={worst_style:.3f} "
          f"worst_content={worst_content:.3f}")
    strip([ours, alone], args.out / f"video-{args.style}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
