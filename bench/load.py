"""Load test: N simultaneous small jobs through the real server (loopback only, bounded).

    python bench/load.py                 # starts `python app.py` itself, N=8
    python bench/load.py --url http://127.0.0.1:7860/ -n 8
    python bench/load.py --soak 120      # 120 runs one after another, a bad upload beside each: memory

Each client sends its own content image (a distinct synthetic photo); every result is checked
against all inputs and must be closest to its own. Prints N, p50/p95 latency, throughput, errors
and mismatches; exits 1 if any job errored or got another client's picture.

``--soak N`` starts its own server and sends N small runs one after another (sizes 64-256 px, the four
paintings in turn, a few by region), each beside a bad upload that must be refused, and prints the
server's resident memory every 20 runs, and its growth over the second half (``soak_rss_growth_mb``):
a server that leaks grows there, one that keeps its caches and heap levels off.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def distinct_photo(index: int, size: tuple[int, int] = (128, 96)) -> Image.Image:
    """A photo-like image unlike the others: its own colours and blob layout."""
    rng = np.random.default_rng(1000 + index)
    h, w = size[1], size[0]
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    image = np.zeros((h, w, 3)) + rng.uniform(0, 1, 3)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 0.75), rng.uniform(0.08, 0.25)
        image[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 1, 3)
    return Image.fromarray((image * 255).astype(np.uint8), "RGB")


def _signature(image: Image.Image) -> np.ndarray:
    # In colour: in grey one of the eight photos, painted at 64 px in 6 steps, was once as near another's.
    small = np.asarray(image.convert("RGB").resize((16, 12), Image.Resampling.BOX), dtype=np.float64).ravel()
    return (small - small.mean()) / (small.std() + 1e-9)


def run_load(url: str, n: int, size: int, steps: int, timeout: float, folder: Path) -> dict:
    from gradio_client import Client, handle_file

    inputs = []
    for i in range(n):
        path = folder / f"content-{i}.png"
        distinct_photo(i).save(path)
        inputs.append(path)
    signatures = [_signature(Image.open(p)) for p in inputs]

    def one(i: int) -> tuple[float, str | None, int | None]:
        start = time.perf_counter()
        try:
            client = Client(url, verbose=False)
            job = client.submit(handle_file(str(inputs[i])), "starry-night", None, size, steps, api_name="/stylize")
            image, status = job.result(timeout=timeout)
        except Exception as exc:  # any failure is counted and reported, not raised
            return time.perf_counter() - start, f"{type(exc).__name__}: {exc}", None
        output = _signature(Image.open(image))
        closest = int(np.argmax([float(output @ s) for s in signatures]))
        return time.perf_counter() - start, None if status.startswith("Done") else status, closest

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(one, range(n)))
    wall = time.perf_counter() - start
    latencies = sorted(r[0] for r in results)
    errors = [r[1] for r in results if r[1]]
    mismatches = sum(1 for i, r in enumerate(results) if r[1] is None and r[2] != i)
    return {
        "n": n, "p50": statistics.median(latencies),
        "p95": latencies[min(n - 1, round(0.95 * (n - 1)))], "throughput": n / wall,
        "errors": len(errors), "mismatches": mismatches, "error_messages": errors,
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def soak(url: str, pid: int, runs: int, folder: Path) -> int:
    from gradio_client import Client, handle_file

    paintings = ("starry-night", "the-scream", "composition-vii", "shipwreck-of-the-minotaur")
    bad = folder / "holiday.jpg"
    bad.write_text("not a picture")
    regions = folder / "regions.png"
    Image.new("RGB", (64, 48), (37, 99, 235)).save(regions)
    client = Client(url, verbose=False)
    samples, failures = [(0, _rss_mb(pid))], 0
    print(f"soak: {runs} runs; server RSS at start {samples[0][1]:.0f} MB", flush=True)
    for i in range(runs):
        path = folder / f"photo-{i % 8}.png"
        distinct_photo(i % 8, (160, 120)).save(path)
        try:
            client.predict(handle_file(str(bad)), "starry-night", None, 64, 2, api_name="/stylize")
            failures += 1  # a bad upload must be refused
        except Exception:  # the refusal, as a caller gets it
            pass
        try:
            if i % 10 == 9:
                _image, status = client.predict(handle_file(str(path)), paintings[i % 4], paintings[(i + 1) % 4],
                                                handle_file(str(regions)), 96, 4, api_name="/stylize_regions")
            else:
                _image, status = client.predict(handle_file(str(path)), paintings[i % 4], None,
                                                (64, 128, 192, 256)[i % 4], 4, api_name="/stylize")
            failures += not status.startswith("Done")
        except Exception as exc:
            failures += 1
            print(f"  run {i}: {type(exc).__name__}: {exc}", flush=True)
        if (i + 1) % 20 == 0 or i + 1 == runs:
            samples.append((i + 1, _rss_mb(pid)))
            print(f"  after {i + 1} runs: server RSS {samples[-1][1]:.0f} MB", flush=True)
    half = [rss for done, rss in samples if done >= runs // 2]
    print(f"soak_rss_start_mb={samples[0][1]:.0f} soak_rss_end_mb={samples[-1][1]:.0f} "
          f"soak_rss_peak_mb={max(r for _, r in samples):.0f} soak_rss_growth_mb={half[-1] - half[0]:.0f} "
          f"runs={runs} failures={failures}")
    return 0 if failures == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="N simultaneous jobs through the real DeepStyle server")
    parser.add_argument("-n", type=int, default=8)
    parser.add_argument("--url", help="a running server on loopback; default: start python app.py")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--soak", type=int, default=0, help="N runs one after another, with bad uploads: memory")
    args = parser.parse_args(argv)
    if args.soak:
        from appserver import serve

        with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as server:
            return soak(server.url, server.pid, args.soak, Path(tmp))
    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        parser.error("--url must be a loopback address")
    from appserver import serve

    with tempfile.TemporaryDirectory() as tmp:
        # Its users all come from this machine's address, which may hold only a few runs unless told.
        context = nullcontext(None) if args.url else serve(Path(tmp), DEEPSTYLE_PER_ADDRESS=str(max(4, args.n)))
        with context as server:
            url = args.url or server.url
            stats = run_load(url, args.n, args.size, args.steps, args.timeout, Path(tmp))
    print(f"N={stats['n']} p50={stats['p50']:.1f}s p95={stats['p95']:.1f}s "
          f"throughput={stats['throughput']:.2f} jobs/s errors={stats['errors']} mismatches={stats['mismatches']}")
    for message in stats["error_messages"]:
        print(f"  error: {message}")
    return 0 if stats["errors"] == 0 and stats["mismatches"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
