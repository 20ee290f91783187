"""Video: does a painted clip flicker, is each shot painted from its first frame, does its look hold, is it on time?

    python bench/bench_video.py                  # 2 min on vtest.avi and bench/clips.py's cuts and face clips (~20 min)
    python bench/bench_video.py --seconds 30 --style the-scream --clip some.mp4
    python bench/bench_video.py --plans          # what 30 s, 2 min and 5 min plan for each clip
    python bench/bench_video.py --pace           # seconds per frame at each size (a GPU: ms per frame)

A clip painted as the page paints it (``stylize_video``, planned by time), and in the same run the
baseline: every frame painted on its own (``stylize``, from its photo) with the same time per frame.
- ``flicker``: the warping error between consecutive painted frames (mean |frame t - frame t-1 moved to t
  along the flow|, 0-255, over the pixels where the forward and backward flows agree; flow.warping_error;
  pairs across a cut left out), over the same on the photo frames. Goals: ours at most half the
  baseline's, at most 2.5× the photo's.
- ``after_cut``: the worst style distance (style_core.quality, at the frame's size) of the 4 frames from
  each cut over the median of the settled frames (4 or more into their shot). Goal: at most 1.5.
- ``drift``: the worst content distance of a frame to its own photo over its shot's first following
  frames' (frames 1-3 of the shot). Goal: at most 1.10. ``last``/``worst``: over the first frame's.
- ``on time``: the wall time over the time asked for (within 15 %), and the plan's line.
Frames: bench/out/video-<clip>-<painting>.png (first, middle, last; ours above the baseline) and
-cuts.png (each cut from 2 frames before to 4 after, then the last second; at 200 %).
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

from style_core import flow, schedule, video_io  # noqa: E402
from style_core.devices import resolve_device  # noqa: E402
from style_core.optimize import device_key  # noqa: E402
from style_core.quality import distances  # noqa: E402
from style_core.video import plan_clip, stylize_video  # noqa: E402

import clips  # noqa: E402  (bench/clips.py)

CLIP = ROOT.parent / "shared" / "videos" / "vtest.avi"
PACE_SIDES = {"cpu": (256, 320, 384, 512), "cuda": (512, 1024)}
AFTER_CUT = 4  # the frames after a cut that are judged against the settled ones


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


def shots_of(plan, count: int) -> list[tuple[int, int]]:
    """(start, end) of each shot among the ``count`` frames painted."""
    starts = [0, *(k for k in plan.cuts if k < count), count]
    return list(zip(starts, starts[1:]))


def flicker(frames: list[Image.Image], links: list[flow.Motion], apart: set[int]) -> float:
    """Mean warping error between consecutive frames, leaving out the pairs across a cut (``apart``: the
    frames that begin a shot): a flow across a cut links nothing."""
    pairs = enumerate(zip(frames, frames[1:], links), 1)
    return statistics.mean(flow.warping_error(b, a, link) for k, (a, b, link) in pairs if k not in apart)


def measured(frames: list[Image.Image], photos: list[Image.Image], style: Image.Image) -> list[tuple[float, float]]:
    return [distances(frame, photo, style, max(frame.size)) for frame, photo in zip(frames, photos)]


def cuts_and_drift(plan, scores: list[tuple[float, float]]) -> dict:
    """``cut``: the worst style distance of the AFTER_CUT frames from each cut over the settled frames' median
    (those AFTER_CUT or more into their shot); ``drift``: the worst content distance over its shot's first
    following frames' (frames 1-3 of the shot, mean); ``look``: the last frame's and the worst style and
    content over the first frame's, as before."""
    spans = shots_of(plan, len(scores))
    settled = [scores[k][0] for start, end in spans for k in range(start + AFTER_CUT, end)] or [scores[0][0]]
    median = statistics.median(settled)
    after = [scores[k][0] / median for start, end in spans[1:] for k in range(start, min(end, start + AFTER_CUT))]
    drift = []
    for start, end in spans:
        early = [scores[k][1] for k in range(start + 1, min(end, start + 4))]
        if early:
            drift += [scores[k][1] / statistics.mean(early) for k in range(start + 1, end)]
    return {"cut": max(after) if after else None, "drift": max(drift) if drift else None,
            "last": (scores[-1][0] / scores[0][0], scores[-1][1] / scores[0][1]),
            "worst": (max(s for s, _ in scores) / scores[0][0], max(c for _, c in scores) / scores[0][1])}


def around(frames: list[Image.Image], plan, last_seconds: float, path: Path) -> None:
    """Every frame from 2 before each cut to AFTER_CUT after it, one row a cut, and the last ``last_seconds``
    (a face's last second) as the last row, at 200 %."""
    rows = [frames[max(0, k - 2):k + AFTER_CUT] for k in plan.cuts if k < len(frames)]
    rows.append(frames[-max(1, round(last_seconds * plan.fps)):])
    width, height = 2 * frames[0].width, 2 * frames[0].height
    sheet = Image.new("RGB", (width * max(len(r) for r in rows), height * len(rows)), "white")
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            sheet.paste(image.resize((width, height), Image.NEAREST), (c * width, r * height))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def run(clip: Path, style: str, config: StyleConfig, out: Path) -> None:
    key = device_key(resolve_device(config.device).type, config.precision)
    plan = plan_clip(clip, config, key)
    print(f"clip={clip.name} style={style} plan: {plan.describe()}; {plan.frames} frames, stride {plan.stride}, "
          f"{plan.steps} steps a painted frame, cuts at frames {list(plan.cuts)}", flush=True)
    ours, wall, plan = painted(clip, style, config)
    photos = list(video_io.read_frames(clip, plan.size, plan.fps, len(ours)))
    alone = baseline(photos, style, config, wall / len(ours))
    links = [flow.motion(a, b) for a, b in zip(photos, photos[1:])]
    apart = {k for k in plan.cuts}
    own, ours_f, alone_f = (flicker(x, links, apart) for x in (photos, ours, alone))
    painting = Image.open(presets.resolve(style)).convert("RGB")
    held = cuts_and_drift(plan, measured(ours, photos, painting))
    print(f"  frames={len(ours)} size={plan.size[0]}x{plan.size[1]} fps={plan.fps:g} "
          f"painted_s={len(ours) / plan.fps:.1f} wall={wall:.1f}s asked={plan.seconds:.0f}s on_time={wall / plan.seconds:.3f}")
    print(f"  flicker photo={own:.2f} ours={ours_f:.2f} baseline={alone_f:.2f} "
          f"ours_vs_baseline={ours_f / alone_f:.2f} ours_vs_photo={ours_f / own:.2f}")
    cut = "none" if held["cut"] is None else f"{held['cut']:.2f}"
    print(f"  after_cut_style_vs_settled={cut} drift_content={held['drift']:.3f} "
          f"last_style={held['last'][0]:.3f} last_content={held['last'][1]:.3f} "
          f"worst_style={held['worst'][0]:.3f} worst_content={held['worst'][1]:.3f}", flush=True)
    strip([ours, alone], out / f"video-{clip.stem}-{style}.png")
    around(ours, plan, 1.0, out / f"video-{clip.stem}-{style}-cuts.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, action="append",
                        help="a clip (again for more); default: vtest.avi and bench/clips.py's cuts and face clips")
    parser.add_argument("--style", default="starry-night")
    parser.add_argument("--seconds", type=float, default=0.0, help="0: the device's default (2 min on a CPU)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--pace", action="store_true", help="only seconds per frame at each size")
    parser.add_argument("--plans", action="store_true", help="only what 30 s, 2 min and 5 min plan for each clip")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    chosen = args.clip or [CLIP, *[path for path in (clips.cuts_clip() if CLIP.is_file() else None, clips.face_clip())
                                   if path is not None]]
    chosen = [path for path in chosen if path.is_file()]
    if not chosen:
        print(f"no clip at {CLIP}: give one with --clip (../shared is not beside this checkout)")
        return 2
    warm_up(StyleConfig(device=args.device))
    schedule.freeze_sizing()  # as the server does once warm: the same plan before and after a run
    if args.pace:
        pace(chosen[0], args.device)
        return 0
    if args.plans:
        key = device_key(resolve_device(args.device).type, "auto")
        for path in chosen:
            for seconds in (30, 120, 300):
                plan = plan_clip(path, StyleConfig(device=args.device, seconds=seconds), key)
                print(f"plan clip={path.name} seconds={seconds}: {plan.describe()} (stride {plan.stride}, "
                      f"{plan.steps} steps)", flush=True)
        return 0
    for path in chosen:
        run(path, args.style, StyleConfig(device=args.device, seconds=args.seconds), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
