"""Gradio's cache files written whole: a file being served is never seen half-written.

Gradio names a picture it caches by its content's hash and writes it in place, truncating it first: when the
same picture is cached again (a frame that did not change, one photo sent to two components or by two visitors)
while the browser is fetching it, the answer is cut short of the length it declared and the server logs a
traceback. Here each such write goes to a scratch folder beside the cache and is renamed into place, so a reader
holds either the old file or the new one, whose bytes are the same.
"""

from __future__ import annotations

import functools
import inspect
import os
import tempfile
from pathlib import Path

from gradio import processing_utils

# The writers that name a file by its hash and write it in place (save_file_to_cache already renames).
WRITERS = ("save_pil_to_cache", "save_bytes_to_cache")


def _whole(write):
    signature = inspect.signature(write)

    @functools.wraps(write)
    def whole(*args, **kwargs):
        call = signature.bind(*args, **kwargs)
        cache = Path(call.arguments["cache_dir"]).resolve()
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache, prefix=".writing-") as scratch:
            call.arguments["cache_dir"] = scratch
            written = Path(write(*call.args, **call.kwargs)).resolve()
            final = cache / written.relative_to(Path(scratch).resolve())
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(written, final)
        return str(final)

    whole.deepstyle_whole = True
    return whole


def install() -> None:
    """Make Gradio's in-place cache writers write whole files (once per process)."""
    for name in WRITERS:
        write = getattr(processing_utils, name)
        if not getattr(write, "deepstyle_whole", False):
            setattr(processing_utils, name, _whole(write))
