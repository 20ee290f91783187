"""The page's inputs, each as its Gradio component with what the API listing needs: a one-line
description per parameter (view_api and "Use via API" show it), and, where the page offers only a few
values, the type an API caller may send (``seconds`` is any number, not one of the page's three)."""

from __future__ import annotations

import gradio as gr

NUMBER = {"type": "number"}


class Described:
    """An input that explains itself in the API listing (view_api, "Use via API"): ``api_text`` is its
    one-line description there, and ``api_type`` (a JSON schema) replaces the component's own type.
    Set both with ``described``; the frontend is the Gradio component's it extends."""

    api_text = ""
    api_type: dict | None = None
    api_example: str | None = None  # an image's example: a file of this repository, by its path from the root

    def api_info(self) -> dict:
        return {**(self.api_type or super().api_info()), "additional_description": self.api_text}

    def example_payload(self):
        # Gradio's own example is a picture on the internet: "Use via API" would show code that cannot run offline.
        if self.api_example is None:
            return super().example_payload()
        return {"path": self.api_example, "url": self.api_example, "orig_name": self.api_example.rsplit("/", 1)[-1],
                "meta": {"_type": "gradio.FileData"}}

    def example_value(self):
        return super().example_value() if self.api_example is None else self.api_example

    def get_block_name(self) -> str:
        return next(c for c in type(self).__mro__ if c.__module__.startswith("gradio.")).__name__.lower()

    # The API page names each input's component ("… the "Your photo" Image component"): Gradio's word for
    # it, not this module's class (Imagefile, Pick, Setting, Whole).
    get_block_class = get_block_name


def described(component, text: str, api_type: dict | None = None, example: str | None = None):
    component.api_text, component.api_type, component.api_example = text, api_type, example
    return component


class ImageFile(Described, gr.Image):
    """An image input that hands the uploaded file's path to style_core undecoded.

    gr.Image decodes uploads itself and reports a bad file as a bare "Error"; style_core.image_io
    says what is wrong (empty, truncated, not an image, too large...). Same frontend as gr.Image.
    """

    def preprocess(self, payload):
        return None if payload is None else payload.path


class ClipFile(Described, gr.Video):
    """A video input that hands the uploaded file's path to style_core as it came: gr.Video would convert a
    format other than its own or a webcam-only recording with a system ffmpeg, which a laptop may not
    have; style_core.video_io reads them all. Same frontend as gr.Video."""

    def preprocess(self, payload):
        return None if payload is None else payload.path


class Setting(Described, gr.Slider):
    """A slider whose value reaches the run's validator unchecked: an API caller out of range then
    gets its one-line reason (painting.check_run), where gr.Slider answers a bare HTTP 400."""

    def preprocess(self, payload: float | None) -> float | None:
        return None if payload is None else gr.Number.round_to_precision(payload, self.precision)


class Choice(Described, gr.Radio):
    """Radio buttons whose value reaches the run's validator unchecked, so that an API caller may
    ask for any time (the validator says what is out of range); the page offers a few."""

    def preprocess(self, payload):
        return payload


class Toggle(Described, gr.Checkbox):
    pass


class Whole(Described, gr.Number):
    """A number that reaches the run's validator unchecked, so that a caller's "abc" gets its reason."""

    def preprocess(self, payload):
        return payload


class Pick(Described, gr.Dropdown):
    pass


class Picture(Described, gr.Image):
    pass
