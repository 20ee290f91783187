"""DeepStyle: ``python app.py`` serves the page (http://127.0.0.1:7860, or a Hugging Face Space).

The page lives in the ``ui`` package and the engine in ``style_core``; this file starts them:
the engine warms up, the queue gets its limits, and each visitor's files are served to that
visitor only (``ui/private_files.py``, ``ui/private_events.py``).
"""

from __future__ import annotations

import logging
import os

from starlette.middleware import Middleware

from style_core import prepare_paintings, presets, schedule, warm_up
from ui import CSS, HEAD, NOT_SHARED, OWNER_ONLY, build_demo, gradio_cache, records, settings, words
from ui.gpu import ZERO_GPU
from ui.private_files import Files, PrivateFiles
from ui.visitors import Allowance


def main() -> None:
    # The page accepts runs once the engine is warm (weights loaded, a few steps measured, the preset
    # paintings' style statistics at the default run's sizes): the first visitor's time is then what
    # the page says, and a run with a preset starts painting at once. On ZeroGPU the server process
    # holds no GPU.
    if not ZERO_GPU:
        warm_up()
        prepare_paintings(presets.STYLE_IDS)
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("deepstyle").setLevel(logging.INFO)
    # uvicorn takes X-Forwarded-For from a client on 127.0.0.1 as the client's address: one on this machine could
    # then be anyone, to the limits per address. A visitor's address is read once, in ui/visitors.py.
    os.environ.setdefault("FORWARDED_ALLOW_IPS", "")
    gradio_cache.install()  # a picture cached again while it is being fetched is never served cut short
    kept = records.open_records(settings.DATA_DIR, settings.KEEP_HOURS, settings.SHARE_DAYS)
    # One size for one time choice on this server, whatever its load at the moment (the steps follow it).
    schedule.freeze_sizing()
    demo = build_demo()
    demo.queue(max_size=settings.QUEUE_SIZE, default_concurrency_limit=settings.CONCURRENCY)
    demo.files = Files(kept, public_config=lambda: demo.config, upload_dir=lambda: demo.GRADIO_CACHE)
    allowance = Allowance({"uploads": settings.UPLOADS_PER_HOUR, "shares": settings.SHARES_PER_HOUR,
                           "bytes": settings.MB_PER_HOUR * 2**20})
    private = Middleware(PrivateFiles, files=demo.files, private_in_links=NOT_SHARED, owner_only=OWNER_ONLY,
                         min_free=int(settings.MIN_FREE_MB * 2**20), cookie_s=settings.KEEP_HOURS * 3600,
                         allowance=allowance, waiting=demo.waiting)
    # The records are never served, nor copied into the cache by a function that returns a path it was given.
    demo.launch(max_file_size=settings.MAX_UPLOAD, css=CSS, head=HEAD, i18n=words.i18n(), run_history=False,
                blocked_paths=[str(settings.DATA_DIR)], app_kwargs={"middleware": [private]})


if __name__ == "__main__":
    main()
