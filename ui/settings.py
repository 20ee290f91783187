"""The server's settings, read once from the environment (docs/SETTINGS.md)."""

from __future__ import annotations

import os
from pathlib import Path

from ui import records

QUEUE_SIZE = int(os.environ.get("DEEPSTYLE_QUEUE_SIZE", "16"))  # waiting runs, all visitors together
CONCURRENCY = int(os.environ.get("DEEPSTYLE_CONCURRENCY", "1"))  # runs painting at the same time
MAX_SECONDS = float(os.environ.get("DEEPSTYLE_MAX_SECONDS", "300"))  # wall-clock cap of one run
MAX_UPLOAD = os.environ.get("DEEPSTYLE_MAX_UPLOAD", "200mb")  # a phone's clip: 20-60 MB for 10 s
KEEP_HOURS = float(os.environ.get("DEEPSTYLE_KEEP_HOURS", "24"))  # uploads and pictures in Gradio's cache
SHARE_DAYS = float(os.environ.get("DEEPSTYLE_SHARE_DAYS", "30"))  # a shared link, kept in the data folder
DATA_DIR = Path(os.environ.get("DEEPSTYLE_DATA_DIR") or records.default_folder())  # the records, shared links
MIN_FREE_MB = float(os.environ.get("DEEPSTYLE_MIN_FREE_MB", "200"))  # left free on its disk and the cache's
ON_SPACES = bool(os.environ.get("SPACE_ID"))  # Hugging Face sets it in every Space
# Per visitor and hour (an address may take PER_ADDRESS times as much: several visitors behind one).
UPLOADS_PER_HOUR = float(os.environ.get("DEEPSTYLE_UPLOADS_PER_HOUR", "120"))
SHARES_PER_HOUR = float(os.environ.get("DEEPSTYLE_SHARES_PER_HOUR", "20"))
MB_PER_HOUR = float(os.environ.get("DEEPSTYLE_MB_PER_HOUR", "1000"))  # bytes kept: uploads and shares' copies
PER_ADDRESS = float(os.environ.get("DEEPSTYLE_PER_ADDRESS", "4"))  # also: runs queued or painting per address
# Proxies of our own in front of the app (a Space has one): the caller's address is the one the nearest saw.
PROXY_HOPS = int(os.environ.get("DEEPSTYLE_PROXY_HOPS", "1" if ON_SPACES else "0"))


def max_size(device_type: str) -> int:
    """Largest output side accepted: on a CPU a 1024 px print, on a GPU a 4096 px poster (where its
    memory holds one: ui/gpu.py's LARGEST)."""
    return int(os.environ.get("DEEPSTYLE_MAX_SIZE", "4096" if device_type == "cuda" else "1024"))
