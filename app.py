"""DeepStyle: ``python app.py`` serves the page (http://127.0.0.1:7860, or a Hugging Face Space).

The page lives in the ``ui`` package and the engine in ``style_core``; this file starts them:
the engine warms up, the queue gets its limits, and each visitor's files are served to that
visitor only (``ui/private_files.py``).
"""

from __future__ import annotations

from starlette.middleware import Middleware

from style_core import prepare_paintings, presets, schedule, warm_up
from ui import CSS, HEAD, NOT_SHARED, build_demo
from ui.gpu import ZERO_GPU
from ui.private_files import PrivateFiles
from ui.settings import CONCURRENCY, MAX_UPLOAD, QUEUE_SIZE


def main() -> None:
    # The page accepts runs once the engine is warm (weights loaded, a few steps measured, the preset
    # paintings' style statistics at the default run's sizes): the first visitor's time is then what
    # the page says, and a run with a preset starts painting at once. On ZeroGPU the server process
    # holds no GPU.
    if not ZERO_GPU:
        warm_up()
        prepare_paintings(presets.STYLE_IDS)
    # One size for one time choice on this server, whatever its load at the moment (the steps follow it).
    schedule.freeze_sizing()
    demo = build_demo()
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    private = Middleware(PrivateFiles, public_config=lambda: demo.config, upload_dir=lambda: demo.GRADIO_CACHE,
                         private_in_links=NOT_SHARED)
    demo.launch(max_file_size=MAX_UPLOAD, css=CSS, head=HEAD, run_history=False, app_kwargs={"middleware": [private]})


if __name__ == "__main__":
    main()
