"""The page's events take only the caller's own files, checked where Gradio hands them over.

Every route that runs an event (the page's queue, ``/run``, ``/api``, ``/call``, ``/call/v2``, named or
not, private or not) goes through ``Blocks.process_api``: the visitor is read there from the request
Gradio passes on. Before Gradio moves or decodes an input, every file object in it (a dict with a
``path``, as Gradio's own ``client_utils.is_file_obj`` knows one: with or without ``url`` or ``meta``)
must be the caller's, the page's own, or a live link's (``private_files.Files.allowed``); and an input
sent as text must not name a file on disk as Gradio hands it over (an id where a path would do: the engine
reads any file named). Anything else is refused in one line before any work: a file a visitor never
uploaded (one outside the cache that Gradio would copy in) is nobody's. The files the function returns are
recorded as the caller's as Gradio puts them in its cache. Without ``files`` (no records open) no file is
anyone's.
"""

from __future__ import annotations

import contextvars
import os

import gradio as gr
from gradio_client import utils as client_utils

from ui import visitors, words
from ui.private_files import Files

_caller: contextvars.ContextVar[str | None] = contextvars.ContextVar("deepstyle_caller", default=None)


class Refused(gr.Error):
    """A file input the caller may not use; ``index``: which input."""

    def __init__(self, index: int):
        super().__init__(words.say("not_your_file"), print_exception=False)
        self.index = index


class PrivateBlocks(gr.Blocks):
    """gr.Blocks whose events check their files against ``files`` (``app.py`` sets it before launching)."""

    files: Files | None = None

    async def process_api(self, block_fn, inputs, state=None, request=None, **kwargs):
        one = request[0] if isinstance(request, list) and request else request
        visitor = _visitor(one)
        if self.files is not None:
            self.files.bind(getattr(one, "session_hash", None), visitor)
        token = _caller.set(visitor)
        # Said in the page's language (its cookie: ui/words); to a client that sets none, in English.
        headers = getattr(one, "headers", None) or {}
        language = words.from_cookie(headers.get("cookie")) or words.DEFAULT
        try:
            with words.use(language):
                return await super().process_api(block_fn, inputs, state, request, **kwargs)
        except Refused as refused:
            if not getattr(block_fn, "is_validator_function", False):
                raise
            # The run's validator: the refusal stands on its parameter, as every other refusal of a run does.
            return {"data": [gr.validate(i != refused.index, refused.message if i == refused.index else "")
                             for i in range(len(block_fn.inputs))]}
        finally:
            _caller.reset(token)

    async def preprocess_data(self, block_fn, inputs, state, explicit_call: bool = False):
        visitor = _caller.get()
        sent = [[] if getattr(block, "stateful", False) else _sent_paths(value)
                for block, value in zip(block_fn.inputs, inputs)]
        for index, paths in enumerate(sent):
            if not all(self._ours(p, visitor) for p in paths):
                raise Refused(index)
        processed = await super().preprocess_data(block_fn, inputs, state, explicit_call)
        # An input that came as text (or a number...) must not name a file either. (An input that came as files,
        # all the caller's, may be handed over as a copy Gradio made of them: a picture converted, say.)
        for index, (block, value) in enumerate(zip(block_fn.inputs, processed)):
            if not sent[index] and not getattr(block, "stateful", False) and \
                    not all(self._ours(p, visitor) for p in _given_paths(value)):
                raise Refused(index)
        return processed

    async def postprocess_data(self, block_fn, predictions, state):
        output = await super().postprocess_data(block_fn, predictions, state)
        visitor = _caller.get()
        if self.files is not None and visitor is not None and not getattr(block_fn, "is_validator_function", False):
            for path in _sent_paths(output):
                self.files.claim(path, visitor)
        return output

    def get_api_info(self, all_endpoints: bool = False, page: str | None = None):
        # The API speaks English (ui/words): its listing names each input and output by the page's English words.
        return words.in_english(super().get_api_info(all_endpoints, page))

    def queued(self, running: bool = False) -> list:
        """The events waiting in Gradio's queue, and with ``running`` those it runs (its internals: a cancelled
        event leaves its id in ``pending_event_ids_session``, so that cannot tell)."""
        events = [event for waiting in list(self._queue.event_queue_per_concurrency_id.values()) for event in waiting.queue]
        return events + ([event for jobs in list(self._queue.active_jobs) if jobs for event in jobs] if running else [])

    def waiting(self, visitor: str, address: str) -> tuple[int, int]:
        """How many events of ``visitor``, and of everyone at ``address``, wait in Gradio's queue."""
        events = self.queued()
        return (sum(visitors.of(e.request) == visitor for e in events),
                sum(visitors.address_of(e.request) == address for e in events))

    def _ours(self, path: str, visitor: str | None) -> bool:
        return self.files is not None and self.files.allowed(path, visitor)


def _visitor(request) -> str | None:
    """The caller of an event, or None where Gradio passed no request (a call from Python)."""
    if request is None or getattr(request, "request", None) is None:
        return None
    return visitors.of(request)


def _sent_paths(value) -> list[str]:
    """The paths of the file objects in an input or output as Gradio handles it (plain JSON, or its models)."""
    found: list[str] = []

    def take(file: dict):
        found.append(file["path"])
        return file

    if hasattr(value, "model_dump"):
        value = value.model_dump()
    client_utils.traverse(value, take, client_utils.is_file_obj)
    return found


def _given_paths(value) -> list[str]:
    """The files a function is given in one argument: the strings in it that name a file on disk."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or _is_file(item):
                found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


def _is_file(text: str) -> bool:
    try:
        return len(text) < 4096 and os.path.isfile(text)
    except (OSError, ValueError):
        return False
