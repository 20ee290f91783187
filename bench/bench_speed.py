"""Speed and quality benchmark: DeepStyle's default run against the naive run, a time budget, and pastiche.

    python bench/bench_speed.py            # all of it; with --no-pastiche about 12 min on 2 CPU cores (AVX2)
    python bench/bench_speed.py --quick    # the Tübingen photo only, the two short budgets, no pastiche: ~5 min
    python bench/bench_speed.py --device cuda   # GPU figures: 1024 px against the naive run at 1024 px

Prints, in order:
1. milliseconds per optimisation step at 256 and 512 px (fp32 and the default precision);
2. the default run (planned by time: 30 s on a CPU, 5 s on a GPU) of each painting on each photo
   (the Tübingen photo, and ../shared/photos where present), scored with
   ``style_core.quality.distances`` at 512 px against the naive run of the same pair (one scale,
   300 L-BFGS steps from the photo; its figures are kept in bench/naive_reference.json, made by
   bench/naive_reference.py), then ``quality_vs_naive_mean=<x> worst=<y>``: for each pair the larger
   of (our style distance / naive's, our content distance / naive's), their mean and the worst;
3. the budget: runs of 10, 30 and 120 s (GPU: 2, 5, 15 s) on Tübingen × The Starry Night, their
   wall time against the budget and their distances, the score content + 10 × style (more time must
   never score worse), then ``budget_adherence_worst=<wall / budget> more_time_never_worse=<yes|NO>``;
4. painting by region: a two-region run (docs/regions-*.png: The Starry Night's sky, The Scream's
   houses) against a one-style run of the same size and steps, ``regions_cost_ratio=<x>``;
5. on a GPU (or with ``--large N``), each pair's default run at 1024 px (N) against the naive run
   at that size, both on this device and scored at that size, then
   ``large_vs_naive_mean=<x> worst=<y> size=<px> wall_worst=<s>``;
6. (full run) pastiche, 300 L-BFGS steps, and ``ratio_vs_pastiche=<our wall / theirs>``.
Each run is a subprocess (weights loaded and warmed first, as the app does), so its peak RSS is its
own. Pictures go to bench/out/: each pair's default beside its naive run, for looking at.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# style_core first: it sets OpenMP's wait policy, which PyTorch reads when it loads.
from style_core import StyleConfig, features, load_image, prepare_paintings, presets, stylize, warm_up  # noqa: E402, I001
import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from naive_reference import EVAL_SIZE, NAIVE, PHOTOS, load_reference, pairs  # noqa: E402
from style_core.devices import autocast, resolve_device  # noqa: E402
from style_core.image_io import fit_size  # noqa: E402
from style_core.losses import gram_matrix, relative_error  # noqa: E402
from style_core.features import get_extractor  # noqa: E402
from style_core.quality import distances  # noqa: E402

BUDGETS = {"cpu": (10.0, 30.0, 120.0), "cuda": (2.0, 5.0, 15.0)}
OUT = ROOT / "bench" / "out"
PACE_SIZES = {"cpu": [256, 512], "cuda": [1024, 2048, 4096]}
LARGE = {"cuda": 1024}  # the size a GPU paints by default, compared with the naive run at that size


def run_ours(settings: dict, photo: str, style: str, out: str, repeat: int = 1, styles: list[str] | None = None,
             masks: list[str] | None = None) -> dict:
    """Runs of stylize() in this process (called in a subprocess by main), the engine warmed up first.

    With ``repeat`` > 1 the figures are the last run's and ``cold`` is the first run's wall time:
    on CUDA, the first run at these image sizes in a warmed-up process (a new photo shape).
    """
    config = StyleConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()})
    device = resolve_device(config.device)
    warm_up(config)  # as the app's start-up does, with the presets' statistics for its default run
    prepare_paintings(presets.STYLE_IDS, StyleConfig(device=config.device, precision=config.precision))
    content = load_image(PHOTOS[photo])
    paintings = [load_image(presets.resolve(s)) for s in (styles or [style])]
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        first_preview = None
        for progress in stylize(content, paintings, config, masks=masks):
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
    config = StyleConfig(size=size, screen_size=size, steps=steps + 1, scales=1, device=device, precision=precision,
                         preview_every=1000)
    times = []
    last = time.perf_counter()
    for progress in stylize("tubingen", "starry-night", config):
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
        data = run_ours(payload["settings"], payload["photo"], payload["style"], payload["out"], payload.get("repeat", 1),
                        payload.get("styles"), payload.get("masks"))
    elif kind == "compile":
        data = compile_probe(payload)
    else:  # pastiche, timed around its whole command (its model load included, as a user sees it)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pastiche", "--device", payload["device"], "--optimizer", "lbfgs",
                        "--num-steps", str(payload["steps"]), "--size", str(payload["size"]), "--no-verbose",
                        "--content", str(PHOTOS[payload["photo"]]), "--styles", str(presets.resolve(payload["style"])),
                        "--output", payload["out"]], check=True, capture_output=True)
        data = {"wall": time.perf_counter() - start, "steps": payload["steps"], "first_preview": None}
    # Peak RSS of the process that did the work: this one, or pastiche's (a child of this one).
    who = resource.RUSAGE_CHILDREN if kind == "pastiche" else resource.RUSAGE_SELF
    data["rss_mb"] = resource.getrusage(who).ru_maxrss / 1024
    print(json.dumps(data))


def compile_probe(payload: dict) -> dict:
    """The same runs with the VGG trunk under torch.compile: ``cold`` includes the compiling."""
    config = StyleConfig(**payload["settings"])
    device = resolve_device(config.device)
    model = get_extractor(config.weights, device, config.pooling, config.content_layers + config.style_layers)
    key = next(k for k, v in features._CACHE.items() if v is model)
    features._CACHE[key] = torch.compile(model)
    return run_ours(payload["settings"], payload["photo"], payload["style"], payload["out"], repeat=3)


def measure(kind: str, settings: dict, photo: str, style: str, name: str, repeat: int = 1,
            eval_size: int = EVAL_SIZE, **extra) -> dict:
    """One configuration in its own process, scored at ``eval_size``; its picture saved under bench/out/."""
    out = OUT / f"{name}.png"
    data = _subprocess(kind, {"settings": settings, "photo": photo, "style": style, "out": str(out),
                              "repeat": repeat, **extra})
    result = Image.open(out).convert("RGB")
    data["style"], data["content"] = distances(result, load_image(PHOTOS[photo]),
                                               load_image(presets.resolve(style)), eval_size)
    data["size"], data["image"] = max(result.size), out
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the Tübingen photo only, no pastiche: under 5 minutes")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--no-pastiche", action="store_true")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile probe (CUDA)")
    parser.add_argument("--large", type=int, default=None,
                        help="also paint each pair at this size with the default time and with the naive run, both "
                             "scored at this size (default: 1024 on cuda, none on a CPU, where the naive run takes an hour)")
    parser.add_argument("--pace", action="store_true",
                        help="only the engine's step against a plain forward + backward (GPU: 1024-4096 px)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.large is None:
        args.large = LARGE.get(args.device, 0)
    if args.child:
        _child(args.child[0], json.loads(args.child[1]))
        return 0
    started = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    gpu = args.device == "cuda"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"CUDA: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")
    if args.pace:
        pace_table(PACE_SIZES[args.device], args.device)
        return 0
    _print_step_costs([256, 512, 1024] if gpu else [256, 512], args.device)
    pace_table(PACE_SIZES[args.device], args.device)
    if not (gpu and args.quick):  # on a GPU the large table below is the default run's comparison
        quality_table(args)
    budget_table(args)
    if not (gpu and args.quick):
        regions_cost(args)
    if args.large:
        large_table(args)
    if not args.quick and not args.no_pastiche:
        peers(args)
    print(f"benchmark wall time: {(time.perf_counter() - started) / 60:.1f} min")
    return 0


def quality_table(args) -> None:
    """The default run of each pair against the naive run of that pair (bench/naive_reference.json)."""
    reference = load_reference()["pairs"]
    todo = [p for p in pairs("tubingen" if args.quick else None) if f"{p[0]}--{p[1]}" in reference]
    print(f"\ndefault run ({args.device}) against the naive run, distances at {EVAL_SIZE} px (lower is better)")
    print(f"{'photo':20} {'painting':26} {'size':>5} {'wall s':>7} {'style d':>8} {'naive':>7} {'content d':>9} "
          f"{'naive':>7} {'worse by':>8}")
    worse = []
    for photo, style in todo:
        naive = reference[f"{photo}--{style}"]
        data = measure("ours", {"device": args.device}, photo, style, f"default-{photo}--{style}",
                       repeat=3 if args.device == "cuda" else 1)
        ratio = max(data["style"] / naive["style"], data["content"] / naive["content"])
        worse.append(ratio)
        print(f"{photo:20} {style:26} {data['size']:>5} {data['wall']:>7.1f} {data['style']:>8.4f} "
              f"{naive['style']:>7.4f} {data['content']:>9.4f} {naive['content']:>7.4f} {100 * (ratio - 1):>7.0f}%",
              flush=True)
        naive_picture = OUT / "naive" / f"{photo}--{style}.png"
        if naive_picture.is_file():
            _save_side_by_side([("default", data["image"]), ("naive 300 steps", naive_picture)],
                               OUT / f"side-by-side-{photo}--{style}.png")
    if worse:
        print(f"quality_vs_naive_mean={sum(worse) / len(worse):.3f} worst={max(worse):.3f} pairs={len(worse)}")


def budget_table(args) -> None:
    """Runs planned by time: they end on time, and more time never scores worse."""
    budgets = BUDGETS[args.device][:2] if args.quick else BUDGETS[args.device]
    print(f"\ntime budget ({args.device}), tubingen × starry-night")
    print(f"{'budget s':>8} {'wall s':>7} {'size':>5} {'steps':>6} {'1st prev':>8} {'style d':>8} {'content d':>9} "
          f"{'peak RSS':>9}")
    rows = []
    for seconds in budgets:
        data = measure("ours", {"device": args.device, "seconds": seconds}, "tubingen", "starry-night",
                       f"budget-{seconds:g}s")
        rows.append((seconds, data))
        print(f"{seconds:>8.0f} {data['wall']:>7.1f} {data['size']:>5} {data['steps']:>6} {data['first_preview']:>8.2f} "
              f"{data['style']:>8.4f} {data['content']:>9.4f} {data['rss_mb']:>7.0f}MB", flush=True)
    # One score per run: the trade-off the two distances are weighed by (content + 10 x style), as in
    # the naive run's own loss; a longer run may spend content on style, but not lose on both at once.
    scores = [d["content"] + 10 * d["style"] for _, d in rows]
    print("score (content + 10 × style): " + ", ".join(f"{s:g} s {v:.3f}" for (s, _), v in zip(rows, scores)))
    monotone = all(b <= a for a, b in zip(scores, scores[1:]))
    print(f"budget_adherence_worst={max(d['wall'] / s for s, d in rows):.3f} "
          f"more_time_never_worse={'yes' if monotone else 'NO'}")


def large_table(args) -> None:
    """The default run at ``args.large`` px (on a GPU: its default size) against the naive run at that
    size, both on this device and scored at that size: the naive runs take seconds on a GPU, so they
    are run here rather than kept. The default is timed warm (its second run), as a visitor meets it."""
    size = args.large
    print(f"\ndefault run at {size} px against the naive run at {size} px ({args.device}), distances at {size} px")
    print(f"{'photo':20} {'painting':26} {'wall s':>7} {'cold s':>7} {'naive s':>8} {'style d':>8} {'naive':>7} "
          f"{'content d':>9} {'naive':>7} {'worse by':>8} {'GPU MB':>7}")
    worse, walls = [], []
    for photo, style in pairs("tubingen" if args.quick else None):
        ours = measure("ours", {"device": args.device, "size": size}, photo, style, f"large-{photo}--{style}",
                       repeat=2, eval_size=size)
        naive = measure("ours", {**NAIVE, "device": args.device, "size": size}, photo, style,
                        f"large-naive-{photo}--{style}", eval_size=size)
        ratio = max(ours["style"] / naive["style"], ours["content"] / naive["content"])
        worse.append(ratio)
        walls.append(ours["wall"])
        print(f"{photo:20} {style:26} {ours['wall']:>7.2f} {ours['cold']:>7.2f} {naive['wall']:>8.2f} "
              f"{ours['style']:>8.4f} {naive['style']:>7.4f} {ours['content']:>9.4f} {naive['content']:>7.4f} "
              f"{100 * (ratio - 1):>7.0f}% {ours.get('gpu_mb', 0):>7.0f}", flush=True)
        _save_side_by_side([("default", ours["image"]), ("naive 300 steps", naive["image"])],
                           OUT / f"side-by-side-large-{photo}--{style}.png")
    print(f"large_vs_naive_mean={sum(worse) / len(worse):.3f} worst={max(worse):.3f} size={size} "
          f"wall_worst={max(walls):.2f} pairs={len(worse)}")


def regions_cost(args) -> None:
    """What painting by region costs: two regions against one style, same size and steps."""
    steps = 120 if args.device == "cuda" else 24
    base = {"device": args.device, "size": 512, "steps": steps}
    one = measure("ours", base, "tubingen", "starry-night", "regions-one-style")
    masks = [str(ROOT / "docs" / "regions-sky.png"), str(ROOT / "docs" / "regions-houses.png")]
    two = measure("ours", base, "tubingen", "starry-night", "regions-two", styles=["starry-night", "the-scream"],
                  masks=masks)
    print(f"\npainting by region ({args.device}, 512 px, {steps} steps): one style {one['wall']:.1f} s, "
          f"two regions {two['wall']:.1f} s")
    print(f"regions_cost_ratio={two['wall'] / one['wall']:.3f}")


def peers(args) -> None:
    """pastiche (300 L-BFGS steps), and on a GPU the torch.compile figures."""
    size = 512
    print(f"\npeers ({args.device}), tubingen × starry-night, {size} px")
    ours = measure("ours", {"device": args.device, "size": size}, "tubingen", "starry-night", "peer-deepstyle")
    theirs = measure("pastiche", {}, "tubingen", "starry-night", "peer-pastiche", size=size, steps=300,
                     device=args.device)
    for name, data in (("deepstyle default", ours), ("pastiche lbfgs 300 steps", theirs)):
        print(f"{name:26} wall {data['wall']:7.1f} s  style {data['style']:.4f}  content {data['content']:.4f}  "
              f"peak RSS {data['rss_mb']:.0f}MB", flush=True)
    print(f"ratio_vs_pastiche={ours['wall'] / theirs['wall']:.3f}")
    if args.device == "cuda":
        if not args.no_compile:
            data = measure("compile", {"device": "cuda", "size": size}, "tubingen", "starry-night", "gpu-compile")
            print(f"{'torch.compile':26} wall {data['wall']:7.2f} s (cold, compiling: {data['cold']:.1f})")


def plain_step_ms(size: int, device: str, precision: str, steps: int = 10, batch: int = 1) -> float:
    """A plain forward + backward of the same network (to relu5_1, Gram losses at the style layers, the
    content error at relu4_2) at the same size and precision, with no optimiser: what a step cannot beat.
    ``batch``: that many canvases through the network together (all four at once, bench_all.py --batch)."""
    config = StyleConfig(device=device, precision=precision)
    where = resolve_device(device)
    layers = config.content_layers + config.style_layers
    extractor = get_extractor(config.weights, where, config.pooling, layers)
    width, height = fit_size(load_image(PHOTOS["tubingen"]).size, size)
    canvas = torch.rand(batch, 3, height, width, device=where, requires_grad=True)
    if where.type == "cuda":
        canvas = canvas.detach().contiguous(memory_format=torch.channels_last).requires_grad_(True)
    with torch.no_grad(), autocast(where, precision):
        grams = {k: gram_matrix(v) for k, v in extractor(canvas, config.style_layers).items()}
        content = extractor(canvas, config.content_layers)

    def step() -> None:
        with autocast(where, precision):
            feats = extractor(canvas, layers)
        loss = sum(relative_error(gram_matrix(feats[k]), grams[k]) for k in config.style_layers)
        loss = loss + sum(relative_error(feats[k], content[k]) for k in config.content_layers)
        loss.backward()
        canvas.grad = None

    times = []
    for _ in range(steps + 2):  # two to warm up
        _sync(where)
        start = time.perf_counter()
        step()
        _sync(where)
        times.append(time.perf_counter() - start)
    return 1000 * min(times[2:])  # as ms_per_step: the least of its steps


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def pace_table(sizes: list[int], device: str) -> None:
    """The engine's step against a plain forward + backward, same device, size and precision, in one run."""
    print(f"\nthe engine's step against a plain forward + backward ({device}), ms")
    print(f"{'size':>5} {'precision':>9} {'engine':>8} {'plain':>8} {'ratio':>6}")
    ratios, engine = [], {}
    for size in sizes:
        for precision in ("fp32", "bf16") if device == "cuda" else ("fp32",):
            ours, plain = ms_per_step(size, device, precision), plain_step_ms(size, device, precision)
            engine[size, precision] = ours
            ratios.append(ours / plain)
            print(f"{size:>5} {precision:>9} {ours:>8.1f} {plain:>8.1f} {ours / plain:>6.2f}", flush=True)
    line = f"engine_vs_plain_worst={max(ratios):.2f}"
    if device == "cuda":
        line += " bf16_speedup=" + ",".join(f"{s}:{engine[s, 'fp32'] / engine[s, 'bf16']:.2f}" for s in sizes)
    print(line)


def _print_step_costs(sizes: list[int], device: str) -> None:
    for precision in ("fp32", "auto"):
        figures = ", ".join(f"{s} px {ms_per_step(s, device, precision):.0f} ms" for s in sizes)
        print(f"ms per step ({device}, {precision}): {figures}")
    if device == "cpu" and features.winograd_available():  # the baseline: PyTorch's own choice at batch 1
        with _direct_convolutions():
            direct = {s: ms_per_step(s, device, "fp32") for s in sizes}
        print(f"ms per step ({device}, fp32, direct convolutions): "
              + ", ".join(f"{s} px {ms:.0f} ms" for s, ms in direct.items()))


@contextlib.contextmanager
def _direct_convolutions():
    """Runs in this block use the direct convolutions, as with DEEPSTYLE_WINOGRAD=0."""
    before, features.WINOGRAD = features.WINOGRAD, False
    features.winograd_available.cache_clear()
    try:
        yield
    finally:
        features.WINOGRAD = before
        features.winograd_available.cache_clear()


def _save_side_by_side(pictures: list[tuple[str, Path]], path: Path) -> None:
    height = 384
    tiles = [Image.open(p).convert("RGB") for _, p in pictures]
    tiles = [t.resize((round(t.width * height / t.height), height)) for t in tiles]
    sheet = Image.new("RGB", (sum(t.width for t in tiles), height + 20), "white")
    x = 0
    for (name, _), tile in zip(pictures, tiles):
        sheet.paste(tile, (x, 20))
        ImageDraw.Draw(sheet).text((x + 4, 4), name, fill="black")
        x += tile.width
    sheet.save(path)


if __name__ == "__main__":
    sys.exit(main())
