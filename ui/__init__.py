"""DeepStyle's web page (Gradio), on top of style_core.

- ``layout.py``: what sits where on the page, and the events;
- ``painting.py``: the ``/stylize`` handler, the status words, the results after a run;
- ``video.py``: the ``/stylize_video`` handler: a clip's plan, frames and the MP4 it leaves;
- ``gpu.py``: where a run paints (this process, or a ZeroGPU worker) and the GPU time it asks for;
- ``private_files.py``: each visitor's files served to that visitor only, and shared links;
- ``cards.py``: what a shared link shows where it is pasted (its title, a line, the painting);
- ``private_events.py``: every event takes only its caller's files, checked where Gradio hands them over;
- ``visitors.py``: who a visitor is (cookie or address) and how much they may take an hour;
- ``records.py``: who owns which file and the links shared, in SQLite, kept across restarts;
- ``settings.py``: the server's settings from the environment;
- ``gradio_cache.py``: Gradio's cached pictures written whole, never served half-written.

``app.py`` at the repository root builds the page and serves it.
"""

from .layout import CSS, HEAD, NOT_SHARED, OWNER_ONLY, build_demo

__all__ = ["CSS", "HEAD", "NOT_SHARED", "OWNER_ONLY", "build_demo"]
