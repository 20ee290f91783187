"""Speed and quality benchmark: DeepStyle's fast default against a naive run and against pastiche.

    python bench/bench_speed.py            # 512 px, about 20 minutes on 2 CPU cores
    python bench/bench_speed.py --quick    # 256 px, a few minutes
    python bench/bench_speed.py --device cuda   # GPU figures: 512 and 1024 px, cold and warm

Prints milliseconds per optimisation step at 256 and 512 px (and on CUDA when present), then a
table (configuration, size, wall s, s/step, first preview s, style distance, content distance,
peak RSS) and ends with ``ratio_vs_naive=<x> ratio_vs_pastiche=<y>`` (our wall time / theirs).

Quality: ``style_core.quality.distances`` at one fixed evaluation size (the run's output size);
lower is better. Each run is a subprocess, so its peak RSS is its own. Pictures are saved side by side in bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from style_core import StyleConfig, features, load_image, presets, stylize, warm_up  # noqa: E402
from style_core.devices import resolve_device  # noqa: E402
from style_core.features import get_extractor  # noqa: E402
from style_core.quality import distances  # noqa: E402

PHOTO, STYLE = "tubingen", "starry-night"


def run_ours(settings: dict, out: str, repeat: int = 1) -> dict:
    """Runs of stylize() in this process (called in a subprocess by main), weights loaded first.

    With ``repeat`` > 1 the figures are the last run's and ``cold`` is the first run's wall time:
    on CUDA, the first run at these image sizes in a warmed-up process (a new photo shape).
    """
    config = StyleConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()})
    device = resolve_device(config.device)
    warm_up(config)  # as the app's start-up does
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        first_preview = None
        for progress in stylize(PHOTO, STYLE, config):
            if progress.image is not None and first_preview is None:
                first_preview = time.perf_counter() - start
            if progress.done:
                progress.image.save(out)
                walls.append(time.perf_counter() - start)
                steps = progress.step
    data = {"wall": walls[-1], "cold": walls[0], "steps": steps, "first_preview": first_preview}
    if device.type == "cuda":
        data["gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return data


def ms_per_step(size: int, device: str, precision: str, steps: int = 3) -> float:
    if device == "cuda":
        steps = 10  # the first steps at a new size include CUDA's lazy set-up
    config = StyleConfig(size=size, steps=steps + 1, scales=1, device=device, precision=precision, preview_every=1000)
    times = []
    last = time.perf_counter()
    for progress in stylize(PHOTO, STYLE, config):
        now = time.perf_counter()
        if not progress.done and progress.step > 1:  # step 1 includes loading and targets
            times.append(now - last)
        last = now
    return 1000 * min(times)


def _subprocess(kind: str, payload: dict) -> dict:
    env = {**os.environ, **payload.pop("env", {}),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, __file__, "--child", kind, json.dumps(payload)],
                            capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{kind} run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _child(kind: str, payload: dict) -> None:
    if kind == "ours":
        data = run_ours(payload["settings"], payload["out"], payload.get("repeat", 1))
    elif kind == "compile":
        data = compile_probe(payload["settings"], payload["out"])
    else:  # pastiche, timed around its whole command (its model load included, as a user sees it)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pastiche", "--device", payload["device"], "--optimizer", "lbfgs",
                        "--num-steps", str(payload["steps"]), "--size", str(payload["size"]), "--no-verbose",
                        "--content", str(presets.resolve(PHOTO)), "--styles", str(presets.resolve(STYLE)),
                        "--output", payload["out"]], check=True, capture_output=True)
        data = {"wall": time.perf_counter() - start, "steps": payload["steps"], "first_preview": None}
    # Peak RSS of the process that did the work: this one, or pastiche's (a child of this one).
    who = resource.RUSAGE_CHILDREN if kind == "pastiche" else resource.RUSAGE_SELF
    data["rss_mb"] = resource.getrusage(who).ru_maxrss / 1024
    print(json.dumps(data))


def compile_probe(settings: dict, out: str) -> dict:
    """The same runs with the VGG trunk under torch.compile: ``cold`` includes the compiling."""
    config = StyleConfig(**settings)
    device = resolve_device(config.device)
    layers = config.content_layers + config.style_layers
    model = get_extractor(config.weights, device, config.pooling, layers)
    key = next(k for k, v in features._CACHE.items() if v is model)
    features._CACHE[key] = torch.compile(model)
    return run_ours(settings, out, repeat=3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="256 px, fewer runs: a few minutes")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cuda: warm and cold runs at 512 and 1024 px, pastiche on the GPU, a torch.compile probe")
    parser.add_argument("--naive-steps", type=int, default=300)
    parser.add_argument("--no-pastiche", action="store_true")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile probe (CUDA)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], json.loads(args.child[1]))
        return 0
    started = time.perf_counter()
    size = 256 if args.quick else 512
    gpu = args.device == "cuda"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"CUDA: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")
    _print_step_costs([256] if args.quick else [256, 512, 1024] if gpu else [256, 512], args.device)
    photo, style = load_image(presets.resolve(PHOTO)), load_image(presets.resolve(STYLE))
    # The naive run differs from ours only in its schedule (one scale, from the photo, 300 steps):
    # same engine and precision, so the ratio measures the schedule; the bf16 gain is in the lines above.
    # On CUDA each configuration runs more than once in its process: the table shows the warm run.
    repeat = 3 if gpu else 1
    base = {"size": size, "device": args.device}
    runs = {
        "deepstyle default": ("ours", {"settings": base, "repeat": repeat}),
        f"naive 1-scale {args.naive_steps} steps": (
            "ours", {"settings": {**base, "scales": 1, "steps": args.naive_steps}, "repeat": min(repeat, 2)}),
    }
    if not args.no_pastiche:
        runs[f"pastiche lbfgs {args.naive_steps} steps"] = (
            "pastiche", {"size": size, "steps": args.naive_steps, "device": args.device})
    if gpu:
        runs["deepstyle default, cudnn.benchmark"] = (
            "ours", {"settings": base, "repeat": repeat, "env": {"DEEPSTYLE_CUDNN_BENCHMARK": "1"}})
        runs[f"deepstyle {args.naive_steps} steps"] = (
            "ours", {"settings": {**base, "steps": args.naive_steps}, "repeat": 2})
        runs["deepstyle 1024 px"] = ("ours", {"settings": {**base, "size": 1024}, "repeat": repeat})
        runs["deepstyle 1024 px, cudnn.benchmark"] = (
            "ours", {"settings": {**base, "size": 1024}, "repeat": repeat, "env": {"DEEPSTYLE_CUDNN_BENCHMARK": "1"}})
        runs[f"naive 1024 px {args.naive_steps} steps"] = (
            "ours", {"settings": {**base, "size": 1024, "scales": 1, "steps": args.naive_steps}, "repeat": 2})
        if not args.no_compile:
            runs["deepstyle default, torch.compile"] = ("compile", {"settings": base})
    elif not args.quick:
        # For peak RSS at 1024 px: enough steps to reach the finest scale, not a full run.
        runs["deepstyle 1024 px, 24 steps"] = ("ours", {"settings": {**base, "size": 1024, "steps": 24}})
    rows, walls = [], {}  # walls: wall time by run index
    for index, (name, (kind, payload)) in enumerate(runs.items()):
        payload["out"] = str(out / f"{index}-{name.split()[0]}-{size}.png")
        try:
            data = _subprocess(kind, payload)
        except RuntimeError as exc:  # one failed configuration (say, pastiche on a GPU) leaves the others
            print(f"{name:34} failed: {str(exc).strip().splitlines()[-1]}", flush=True)
            continue
        result = Image.open(payload["out"]).convert("RGB")
        data["style"], data["content"] = distances(result, photo, style, size)
        rows.append((name, max(result.size), data, result))
        walls[index] = data["wall"]
        _print_row(name, max(result.size), data)
    _save_side_by_side(rows, out / f"side-by-side-{args.device}-{size}.png")
    nan = float("nan")
    ours, naive = walls.get(0, nan), walls.get(1, nan)
    pastiche = walls.get(2, nan) if not args.no_pastiche else nan
    print(f"benchmark wall time: {(time.perf_counter() - started) / 60:.1f} min")
    print(f"ratio_vs_naive={ours / naive:.3f} ratio_vs_pastiche={ours / pastiche:.3f}")
    return 0


def _print_step_costs(sizes: list[int], device: str) -> None:
    for precision in ("fp32", "auto"):
        figures = ", ".join(f"{s} px {ms_per_step(s, device, precision):.0f} ms" for s in sizes)
        print(f"ms per step ({device}, {precision}): {figures}")
    gpu = f" {'cold s':>7} {'GPU mem':>8}" if device == "cuda" else ""
    print(f"\n{'configuration':34} {'size':>5} {'wall s':>7} {'s/step':>7} {'1st prev':>8} "
          f"{'style d':>8} {'content d':>9} {'peak RSS':>9}{gpu}")


def _print_row(name: str, size: int, d: dict) -> None:
    first = f"{d['first_preview']:.2f}" if d["first_preview"] is not None else "-"
    gpu = f" {d['cold']:>7.2f} {round(d['gpu_mb']):>6}MB" if "gpu_mb" in d else ""
    print(f"{name:34} {size:>5} {d['wall']:>7.2f} {d['wall'] / d['steps']:>7.4f} {first:>8} "
          f"{d['style']:>8.4f} {d['content']:>9.4f} {d['rss_mb']:>7.0f}MB{gpu}", flush=True)


def _save_side_by_side(rows: list, path: Path) -> None:
    height = 384
    tiles = [r[3].resize((round(r[3].width * height / r[3].height), height)) for r in rows]
    sheet = Image.new("RGB", (sum(t.width for t in tiles), height + 20), "white")
    x = 0
    for (name, _, data, _), tile in zip(rows, tiles):
        sheet.paste(tile, (x, 20))
        ImageDraw.Draw(sheet).text((x + 4, 4), f"{name}: {data['wall']:.0f} s", fill="black")
        x += tile.width
    sheet.save(path)
    print(f"pictures: {path}")


if __name__ == "__main__":
    sys.exit(main())
