"""The page: what sits where, and which event does what. The work is in painting.py, video.py and style_core.

Desktop: the choices (a photo or a clip, the painting, Paint) on the left, the canvas on the right, both
on the first screen, so the painting forms in view. Phone: the same column by column; pressing Paint
brings the canvas into view. Settings beyond the painting sit in one closed panel; the results
(download, before/after, timelapse, share link; a clip's player) appear under and on the canvas once
there is a picture. What the server would refuse says so before Paint is pressed: a photo or clip beside
it, a time or size beside Paint, which is then not offered.
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import gradio as gr
from PIL import Image

from style_core import StyleConfig, estimate_seconds, load_image, plan_scales, presets
from style_core.schedule import screen_size

from . import all_four, gpu, painting, records, regions, settings, video, visitors, words
from .words import fixed, say
from .private_events import PrivateBlocks
from .components import NUMBER, Choice, ClipFile, ImageFile, Pick, Setting, Toggle, Whole, described

DEFAULTS = painting.DEFAULTS
# What a share link leaves out: the visitor's own style image is theirs, not part of the painting shared.
# A clip's own upload stays out too, and its first frame shown over the player where the browser cannot play it:
# the painted clip is what is shared (and the upload may be hundreds of MB).
# The gallery is the page's own: a link opens it as every page does, with its titles in the stranger's words.
# The files handed to an API caller at the end of all four are the downloads' own: the page offers those.
NOT_SHARED = frozenset({"style_upload", "regions", "regions-map", "clip", "clip-still", "share-answer", "shared-line",
                        "unshare", "gallery", "all-files"})
OWNER_ONLY = frozenset({"shared-line", "unshare"})  # hidden on a shared link's page: the link's own line, Stop sharing
SHARE_ICON = gr.utils.get_icon_path("link.svg")  # Gradio's own share-link icon
# Share link: the page saved under a link (the server keeps it and its files, or says in a line why it cannot),
# the link copied. The answer goes to _shared, which says how long the link lasts and offers Stop sharing.
SHARE_JS = """async (_answer, mode) => {
  const said = await (async () => {
    const answer = await fetch(`gradio_api/deep_link?session_hash=${window.__gradio_session_hash__}`);
    const text = (await answer.text()).replace(/^"|"$/g, "");
    if (!answer.ok || !text) return "refused:" + text;  // the server says why (_shared: or that it could not)
    const url = new URL(window.location.href);
    url.searchParams.set("deep_link", text);
    url.searchParams.delete("__sign");  // a Space's own sign-in token stays the owner's
    try { await navigator.clipboard.writeText(url.toString()); return "copied:" + url; }
    catch (error) { return "shown:" + url; }  // no clipboard (http, a refusal): the link is shown to copy
  })();
  return [said, mode];  // the page's mode passes through: a clip's link says it opens a clip
}"""
DOCS = Path(__file__).resolve().parent.parent / "docs"
# The canvas before a photo is chosen: what DeepStyle makes (bench/naive_reference.py's Tübingen × The Starry Night).
EXAMPLE = str(DOCS / "example-painting.jpg")

CSS = """
#page {max-width: 1320px; margin: 0 auto}
#intro h1 {margin: 0 0 2px 0; font-size: 1.6em}
#intro p {margin: 0}
#out img {object-fit: contain}
#canvas-box {min-height: 480px}
html.drawing #page {visibility: hidden}
/* The canvas's label and icons float over its top: the picture starts below them (a portrait fills the height). */
#out .image-frame {padding-top: 30px; box-sizing: border-box}
#gallery .grid-container {grid-template-columns: repeat(4, minmax(0, 1fr)) !important}
#gallery .caption-label {white-space: normal; font-size: 0.75em; line-height: 1.15}
#chosen p {margin: 2px 0 0 0; font-size: 0.9em}
@media (max-width: 640px) {
  #gallery .caption-label {display: none}
  #gallery, #gallery .grid-wrap {height: 110px !important}
  #out, #clip-out {height: 340px !important}  /* a landscape painting fills a phone's width */
  #canvas-box {min-height: 340px}
  /* The four painting tabs on one line (Gradio moves what does not fit into a "..." menu, out of sight). */
  #style-tabs .tab-container button {padding-left: 7px; padding-right: 7px; font-size: 0.92em}
}
#eta p {margin: 0; font-size: 0.85em; opacity: 0.8}
#go {align-items: end}
/* Stop takes Paint's place while painting: nothing on the page moves when it comes or goes. */
#buttons {position: relative; align-self: flex-end}
#buttons #stop {position: absolute; inset: 0; z-index: 2}
#about {font-size: 0.85em}
#download, #download-jpeg {font-size: var(--text-md)}  /* "Download PNG · 512×384 px · 406 kB" on one line */
/* A refused photo or clip is said over the foot of its box: nothing below moves when the line comes or goes. */
#photo-box, #clip-box {position: relative}
#photo-problem, #clip-problem, #gif-note {position: absolute; left: 6px; right: 6px; bottom: 6px; z-index: 20; margin: 0;
  padding: 4px 8px; border-radius: 6px; background: var(--block-background-fill);
  border: 1px solid var(--error-border-color, #ef4444); box-shadow: 0 1px 4px rgba(0, 0, 0, 0.2)}
#photo-problem p, #clip-problem p, #gif-note p {margin: 0; font-size: 0.9em}
#gif-note {border-color: var(--border-color-primary); align-items: center; flex-wrap: nowrap}
#eta.refused p {opacity: 1; color: var(--error-text-color, #b91c1c)}
#input-tabs > .tab-wrapper {margin-bottom: 2px}
/* What a clip does not take: by region, a second painting to blend in (the page's mode is the style tabs' class). */
body:has(#style-tabs.clip-mode) #blend-row, body:has(#style-tabs.all-mode) #blend-row {display: none}
#style-tabs.clip-mode #tab-regions-button, #style-tabs.clip-mode #tab-all-button,
#results.clip-results #tab-compare-button, #results.clip-results #tab-timelapse-button,
#results.all-results #tab-compare-button {display: none}
""" + regions.CSS + video.CSS + all_four.CSS

# The page shown once Gradio has drawn it: its parts arrive one by one, each pushing the next down (a phone's
# first screen shifted 0.2-0.4 of itself while loading). Shown when its height has held for a third of a second,
# or after 4 s whatever it does; nothing in a page still hidden counts as moving.
DRAWN = """<script>
(() => {
  const root = document.documentElement, started = performance.now();
  root.classList.add("drawing");
  let height = -1, still = 0;
  const check = () => {
    const page = document.getElementById("page"), now = page ? page.getBoundingClientRect().height : -1;
    still = page && document.getElementById("run") && now === height ? still + 1 : 0;
    height = now;
    if (still >= 20 || performance.now() - started > 4000) root.classList.remove("drawing");
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
</script>"""
# A shared link's page (?deep_link=...): the link restores the painting chosen (its line under the gallery)
# but not the gallery's outline, so outline it (a click, as the visitor's own); and the visitor came to see
# the painting, which on a phone sits under the choices: bring it into view, and keep it there while the
# page settles in the owner's mode (a clip's link opens the Video tab: what is above the clip moves), until
# it has stood still in view for a second. In the page's head: it waits for the page, whatever Gradio's own
# events do (a shared page's load events were seen not to run at all, one time in five).
HEAD = words.HEAD + """<script>
(() => {
  if (!new URLSearchParams(location.search).has("deep_link")) return;
  let outlined = false, still = 0;
  const keep = setInterval(() => {
    const title = document.querySelector("#chosen strong")?.innerText;
    const thumbs = [...document.querySelectorAll("#gallery .thumbnail-item")];
    const chosen = thumbs.find((thumb) => title && thumb.querySelector("img")?.alt === title);
    if (!outlined && chosen) {
      outlined = true;
      if (!chosen.classList.contains("selected")) chosen.click();
    }
    const clip = document.getElementById("clip-out");
    const canvas = clip && clip.offsetParent !== null ? clip : document.getElementById("out");
    if (!canvas || canvas.offsetParent === null) return;
    const top = canvas.getBoundingClientRect().top;
    const room = window.innerHeight + window.scrollY < document.documentElement.scrollHeight - 2;
    if (Math.abs(top) > 40 && (top < 0 || room)) { canvas.scrollIntoView({block: "start"}); still = 0; }
    else if (++still >= 4 && outlined) clearInterval(keep);
  }, 250);
  setTimeout(() => clearInterval(keep), 10000);
})();
</script>""" + DRAWN + video.HEAD
# Pressing Paint on a phone: the canvas sits under the choices, so bring it into view; not when there is no
# photo or clip, or a refusal is said over it (the reason would scroll out of view).
SHOW_CANVAS = """(...args) => {
  const shown = (selector) => { const e = document.querySelector(selector); return e && e.offsetParent !== null; };
  const video = shown("#clip-box");
  const chosen = video ? document.querySelector("#clip video") : document.querySelector("#content img");
  const refused = shown(video ? "#clip-problem" : "#photo-problem");
  const canvas = document.getElementById("out");
  if (canvas && chosen && !refused) {
    const box = canvas.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) canvas.scrollIntoView({behavior: "smooth", block: "start"});
  }
  return args;
}"""


PAINTING_IDS = ", ".join(presets.STYLE_IDS)
SCREEN = screen_size(gpu.DEVICE_TYPE)


def build_demo() -> gr.Blocks:
    with PrivateBlocks(title="DeepStyle", delete_cache=(3600, int(settings.KEEP_HOURS * 3600))) as demo:
        with gr.Column(elem_id="page"):
            gr.Markdown(fixed("intro"), elem_id="intro")
            with gr.Row(equal_height=False):
                with gr.Column(scale=5, min_width=320):
                    choices = _choices()
                with gr.Column(scale=7, min_width=320):
                    canvas = _canvas()
            _about()
        _wire(demo, choices, canvas)
    return demo


def _choices() -> dict:
    with gr.Tabs(elem_id="input-tabs", selected="photo") as input_tabs:
        with gr.Tab(fixed("tab.photo"), id="photo", elem_id="tab-photo") as photo_tab:
            content, problem, gif_note, gif_to_clip = _photo_box()
        with gr.Tab(fixed("tab.video"), id="video", elem_id="tab-video") as video_tab:
            clip, clip_problem, clip_still = video.clip_box()
    picked = _style_picker()
    with gr.Row(equal_height=True, elem_id="go"):
        seconds = described(
            Choice([(fixed(words.duration, value), value) for value, _ in painting.TIME_CHOICES],
                   value=painting.DEFAULT_SECONDS, label=fixed("time.label"), elem_id="time", scale=2, min_width=200),
            f"Seconds to paint the screen painting for, when steps is 0 (this server allows up to "
            f"{settings.MAX_SECONDS:g} s in all); a print takes longer: see size.", NUMBER)
        video_seconds = video.time_choice()
        with gr.Column(scale=1, min_width=120, elem_id="buttons"):
            run = gr.Button(fixed("paint"), variant="primary", elem_id="run", size="lg")
            # The same button for the "By region" tab, where it paints through /stylize_regions, and for a clip.
            run_regions = gr.Button(fixed("paint"), variant="primary", elem_id="run-regions", size="lg", visible=False)
            run_video = gr.Button(fixed("paint"), variant="primary", elem_id="run-video", size="lg", visible=False)
            run_all = gr.Button(fixed("paint"), variant="primary", elem_id="run-all", size="lg", visible=False)
            stop = gr.Button(fixed("stop"), variant="stop", elem_id="stop", size="lg", visible=False)
    sizes = gr.Radio(size_choices(on_page=True), value=0, label=fixed("sizes.label"), elem_id="sizes",
                     visible=len(size_choices()) > 1)
    eta = gr.Markdown(elem_id="eta")
    # The input tab open (photo, video) and the painting's tab, as "video presets": a component (not a gr.State)
    # so that a shared link's page, which Gradio saves component by component, opens in the owner's mode.
    mode = gr.Textbox(MODE, visible="hidden", elem_id="mode", interactive=False)
    controls = _settings()
    return {"content": content, "problem": problem, "gif_note": gif_note, "gif_to_clip": gif_to_clip, "clip": clip,
            "clip_problem": clip_problem, "clip_still": clip_still,
            "input_tabs": (input_tabs, photo_tab, video_tab), **picked, "seconds": seconds,
            "video_seconds": video_seconds, "run": run, "run_regions": run_regions, "run_video": run_video,
            "run_all": run_all, "stop": stop, "sizes": sizes, "eta": eta, "mode": mode, **controls}


def _photo_box() -> tuple:
    # The example beside the photo (below it on a phone), so that "By region" keeps Paint on a laptop's first screen.
    with gr.Row(equal_height=False, elem_id="photo-row"):
        with gr.Column(scale=4, min_width=230, elem_id="photo-box"):
            content = described(ImageFile(label=fixed("photo.label"), type="filepath", sources=["upload", "clipboard", "webcam"],
                                          elem_id="content", height=210),
                                f"The photo to repaint: an image file ({image_formats()}).",
                                example="presets/tubingen.jpg")
            problem = gr.Markdown(elem_id="photo-problem", visible=False)
            with gr.Row(elem_id="gif-note", visible=False) as gif_note:
                gr.Markdown(fixed("gif.note"), elem_id="gif-note-text")
                gif_to_clip = gr.Button(fixed("gif.to_clip"), size="sm", elem_id="gif-to-clip", min_width=120, scale=0)
        with gr.Column(scale=1, min_width=90):
            gr.Examples([[str(presets.resolve("tubingen"))]], [content], label=fixed("photo.example"),
                        cache_examples=False, elem_id="examples")
    return content, problem, gif_note, gif_to_clip


def image_formats() -> str:
    """The photo formats this server reads, in words."""
    return "JPEG, PNG, WebP, AVIF, HEIC, GIF, BMP or TIFF"


def size_choices(seconds: float | None = None, on_page: bool = False) -> list[tuple[str, int]]:
    """The sizes offered beside the time: the screen size, and the prints this server holds (a CPU:
    1024 px; a GPU: 2048 and 4096 px, as its memory allows), each with its time when ``seconds`` is given;
    ``on_page``: as the page is built, in every language."""
    sides = [0] + [side for side in (2 * SCREEN, 4 * SCREEN) if side <= painting.MAX_SIZE]
    return [(fixed(_size_label, name, side, seconds) if on_page else _size_label(name, side, seconds), side)
            for name, side in zip(("screen", "print", "poster"), sides)]


def _size_label(name: str, side: int, seconds: float | None) -> str:
    label = say("size.choice", name=say(f"size.{name}"), side=side or SCREEN)
    if seconds:
        total = float(seconds) * painting.print_parts(side)
        label += f" · {words.duration(round(total))}"
        if total > min(settings.MAX_SECONDS, gpu.LONGEST_S):
            label += say("size.over")
    return label


def _style_picker() -> dict:
    """One picker: the four paintings, the visitor's own painting, or two paintings by region."""
    ids = list(presets.STYLE_IDS)
    lines = {i: _painting_line(i) for i in ids}  # every language's, given to Gradio as the page is built
    with gr.Tabs(elem_id="style-tabs", selected="presets") as style_tabs:
        with gr.Tab(fixed("tab.presets"), id="presets", elem_id="tab-presets") as presets_tab:
            gallery = gr.Gallery(_gallery(), show_label=False,
                                 columns=4, height=150, allow_preview=False, selected_index=0,
                                 object_fit="cover", buttons=[], elem_id="gallery")
            chosen = gr.Markdown(lines[ids[0]], elem_id="chosen")
        with gr.Tab(fixed("tab.own"), id="own", elem_id="tab-own") as own_tab:
            style_image = described(
                ImageFile(label=fixed("own.label"), type="filepath",
                          sources=["upload", "clipboard"], elem_id="style_upload", height=170),
                "Your own painting, an image file; used instead of style_preset. None: the preset.",
                example="presets/composition-vii.jpg")
        with gr.Tab(fixed("tab.regions"), id="regions", elem_id="tab-regions") as regions_tab:
            by_region = regions.build(ids)
        with gr.Tab(fixed("tab.all"), id="all", elem_id="tab-all") as all_tab:
            all_four.build()
    # The painting's id, as the API takes it: hidden on the page, the gallery sets it. It takes any
    # text so that an API caller's wrong id gets the engine's did-you-mean, not Gradio's choice check.
    style_preset = described(Pick([(fixed(words.title, i), i) for i in ids], value=ids[0], label=fixed("painting.label"),
                                  elem_id="preset", visible="hidden", allow_custom_value=True),
                             f"The painting's id: one of {PAINTING_IDS}.")

    def pick(evt: gr.SelectData):
        return ids[evt.index], lines[ids[evt.index]]

    gallery.select(pick, None, [style_preset, chosen], queue=False, api_visibility="private")
    return {"style_preset": style_preset, "style_image": style_image, "style_tabs": style_tabs,
            "tabs": (presets_tab, own_tab, regions_tab, all_tab), "gallery": gallery, **by_region}


def _painting_line(preset_id: str) -> str:
    """The painting chosen, under the gallery: in the language of whoever sees it (a shared link's stranger too)."""
    return str(fixed(painting_line, preset_id))


def painting_line(preset_id: str) -> str:
    return say("painting.line", title=words.title(preset_id), artist=words.artist(preset_id),
               year=presets.get(preset_id).year)


def _gallery() -> list[tuple[str, str]]:
    """The four paintings, each with its title in the current language."""
    return [(str(presets.resolve(i)), words.title(i)) for i in presets.STYLE_IDS]


def _localised(preset_id: str, kept: str, status: str):
    """The page as it opens, in the visitor's words where Gradio keeps what the server sent: the gallery's
    captions (the painting chosen, a shared link's, still outlined), and on a shared link's page what its run's
    end said (the status, the downloads' labels: ``kept``, as _kept wrote it)."""
    ids = list(presets.STYLE_IDS)
    gallery = gr.update(value=_gallery(), selected_index=ids.index(preset_id) if preset_id in ids else 0)
    try:
        lines = json.loads(kept) if kept and status else {}
    except ValueError:
        lines = {}
    said = {name: words.again(line) for name, line in lines.items()} if isinstance(lines, dict) else {}
    return (gallery, gr.update(value=said["status"]) if said.get("status") else gr.skip(),
            *[gr.update(label=said[name]) if said.get(name) else gr.skip() for name in ("download", "jpeg")])


def _settings() -> dict:
    choices = [(fixed(words.title, i), i) for i in presets.STYLE_IDS]
    ranges = painting.RANGES
    with gr.Accordion(fixed("settings"), open=False, elem_id="settings"):
        strength = described(Setting(*ranges["style_strength"], value=DEFAULTS.style_weight, step=1,
                                     label=fixed("strength.label"), elem_id="strength"),
                             f"How strongly the painting's style is applied, {_span('style_strength')} "
                             f"(default {DEFAULTS.style_weight:g}).")
        preserve = described(Toggle(value=False, label=fixed("preserve.label"), elem_id="preserve"),
                             "True: the painting's strokes in the photo's own colours.")
        scale = described(Setting(*ranges["style_scale"], value=DEFAULTS.style_scale, step=0.05, label=fixed("scale.label"),
                                  elem_id="style_scale"),
                          f"Brush size: the painting's scale against the picture, {_span('style_scale')} (default 1).")
        with gr.Row():
            size = described(Setting(0, painting.MAX_SIZE, value=DEFAULTS.size, step=16, precision=0,
                                     label=fixed("size.label"), elem_id="size"),
                             f"Long side of the picture, px: 0 for the screen size ({SCREEN} px here; a clip's frames: "
                             f"planned from the time); a photo larger is a print, up to {painting.MAX_SIZE} px on this "
                             "server, and takes longer.")
            steps = described(Setting(*ranges["steps"], value=DEFAULTS.steps, step=1, precision=0,
                                      label=fixed("steps.label"), elem_id="steps"),
                              f"Optimiser steps, {_span('steps')} (a clip: each frame's, the first five times as "
                              "many); 0 paints for the time in seconds instead. The same steps and seed repeat a "
                              "picture.")
        seed = described(Whole(value=DEFAULTS.seed, precision=0, label=fixed("seed.label"),
                               elem_id="seed"), "The run's seed: the same steps and seed give the same picture.")
        # A clip's frame rate, as the API takes it: the page leaves it to the plan.
        fps = described(Whole(value=0, label=fixed("fps.label"), elem_id="fps", visible="hidden"),
                        f"Frames a second painted, at most the clip's own (up to {video.MAX_FPS}); 0: planned from the "
                        "time.", NUMBER)
        with gr.Row(elem_id="blend-row"):
            second = described(Pick([(fixed("second.none"), "")] + choices, value="", label=fixed("second.label"),
                                    elem_id="second"), f"A second painting's id to blend in ({PAINTING_IDS}), "
                                                       "or empty for none.")
            blend = described(Setting(*ranges["blend"], value=0.5, step=0.05, label=fixed("blend.label"), elem_id="blend"),
                              f"The second painting's share, {_span('blend')}.")
    return {"size": size, "steps": steps, "fps": fps, "style_strength": strength, "preserve_color": preserve,
            "style_scale": scale, "seed": seed, "second_style": second, "blend": blend}


def _span(parameter: str) -> str:
    low, high = painting.RANGES[parameter]
    return f"{low:g}–{high:g}"


def _canvas() -> dict:
    # Share (to the Hub) only where it works: on Spaces; elsewhere Gradio answers "Must be on Spaces to share".
    shared = ["share"] if settings.ON_SPACES else []
    # One box for the canvas and the clip that takes its place: the frame between one leaving and the other being
    # drawn keeps the box's height, and the page below it does not jump (#canvas-box's min-height).
    with gr.Column(elem_id="canvas-box"):
        out = gr.Image(EXAMPLE, label=fixed("canvas.label"), type="pil", format="png", elem_id="out", interactive=False,
                       height=480, buttons=["download", *shared, "fullscreen"])
        # A clip, once painted, plays where its frames formed.
        clip_out = gr.Video(label=fixed("clip_out.label"), elem_id="clip-out", interactive=False, height=480,
                            visible=False, autoplay=True, loop=True, buttons=["download", *shared])
    status = gr.Textbox(label=fixed("status.label"), show_label=False, elem_id="status", interactive=False, lines=1,
                        placeholder=fixed("caption.example"))
    # What a run's end said, kept for a shared link's page to say again in its stranger's words (_kept).
    told = gr.Textbox(visible="hidden", elem_id="told", interactive=False)
    with gr.Tabs(visible=False, elem_id="results") as results:
        with gr.Tab(fixed("tab.download"), id="download", elem_id="tab-download"):
            with gr.Row():
                download = gr.DownloadButton(fixed("download.png"), elem_id="download", variant="primary")
                jpeg = gr.DownloadButton(fixed("download.jpeg"), elem_id="download-jpeg", visible=False)
                share = gr.Button(fixed("share"), elem_classes=["share-link"], elem_id="share", icon=SHARE_ICON)
                unshare = gr.Button(fixed("unshare"), elem_id="unshare", visible=False)
            share_answer = gr.Textbox(visible=False, elem_id="share-answer")
            shared_line = gr.Markdown(visible=False, elem_id="shared-line")
        with gr.Tab(fixed("tab.compare"), id="compare", elem_id="tab-compare"):
            compare = gr.ImageSlider(show_label=False, elem_id="compare", type="pil", interactive=False, height=420)
        with gr.Tab(fixed("tab.timelapse"), id="timelapse", elem_id="tab-timelapse"):
            timelapse = gr.Image(show_label=False, type="filepath", elem_id="timelapse", interactive=False, height=420,
                                 buttons=["download", "fullscreen"])
    return {"out": out, "clip_out": clip_out, "status": status, "results": results, "download": download,
            "jpeg": jpeg, "share": share, "unshare": unshare, "share_answer": share_answer, "shared_line": shared_line,
            "compare": compare, "timelapse": timelapse, "told": told}


def _about() -> None:
    paintings = "; ".join(presets.get(i).credit for i in presets.STYLE_IDS)
    with gr.Accordion(fixed("about"), open=False, elem_id="about"):
        gr.Markdown(fixed("about.text", paintings=paintings, photo=presets.get("tubingen").credit,
                          hours=f"{settings.KEEP_HOURS:g}"), elem_id="credits")


def _wire(demo: gr.Blocks, c: dict, v: dict) -> None:
    """The events: choices and their estimate, Paint → stream → results, Stop."""
    painting.RUNS.pending = lambda visitor: any(visitors.of(e.request) == visitor for e in demo.queued(running=True))
    painting.RUNS.waiting = lambda: len(demo.queued())
    record = gr.State()
    _wire_choices(demo, c, v)
    photo_inputs = [c[k] for k in painting.RUN_PARAMETERS]
    run = _paint_chain(c["run"], _start, _why_photo, photo_inputs, [], painting.paint, "stylize", painting.check_run, photo_inputs,
                       c, v, record, [v["out"], v["status"], record])
    regions_inputs = [c[k] for k in ("content", "region_first", "region_second", "regions_map", "size", "steps",
                                     "style_strength", "preserve_color", "style_scale", "seed", "seconds")]
    run_regions = _paint_chain(c["run_regions"], _start_regions, _why_regions, [c["editor"], *regions_inputs[:3], *regions_inputs[4:]],
                               [c["regions_map"]], painting.paint_regions, "stylize_regions", painting.check_regions,
                               regions_inputs, c, v, record, [v["out"], v["status"], record])
    video_inputs = [c["clip" if k == "content" else "video_seconds" if k == "seconds" else k]
                    for k in video.VIDEO_PARAMETERS]
    run_video = _paint_chain(c["run_video"], _start_video, _why_video, video_inputs, [], video.paint_video, "stylize_video",
                             video.check_video, video_inputs, c, v, record,
                             [v["out"], v["status"], v["clip_out"], record])
    all_inputs = [c[k] for k in all_four.PARAMETERS]
    run_all = _paint_chain(c["run_all"], _start_all, _why_all, all_inputs, [], all_four.paint_all, "stylize_all",
                           all_four.check_all, all_inputs, c, v, record,
                           [v["out"], v["status"], all_four.files_output(), record])
    v["share"].click(_shared, [v["share_answer"], c["mode"]], [v["shared_line"], v["unshare"]], js=SHARE_JS, queue=False,
                     show_progress="hidden", api_visibility="private")
    v["unshare"].click(_unshared, v["share_answer"], [v["shared_line"], v["unshare"]], queue=False,
                       show_progress="hidden", api_visibility="private")
    c["stop"].click(_stopping, record, v["status"], queue=False, cancels=[run, run_regions, run_video, run_all],
                    api_visibility="private")


def _shared(answer: str, mode: str = ""):
    """The share link's line: the link and how long it lasts (with Stop sharing), or why it was not made."""
    how, _, said = (answer or "").partition(":")
    if how == "refused":
        return gr.update(value=f"⚠️ {said or say('share.failed')}", visible=True), gr.update()
    lasts = say("share.lasts_clip" if mode.startswith("video") else "share.lasts", days=f"{settings.SHARE_DAYS:g}")
    intro = say("share.copied" if how == "copied" else "share.shown")
    return gr.update(value=f"{intro} {lasts}  \n`{said}`", visible=True), gr.update(visible=True)


def _unshared(answer: str, request: gr.Request):
    """Stop sharing: the links this visitor made on this page (the page's Gradio session, or, after a restart
    gave the page a new one, the link it was told) answer "no longer shared" from now on."""
    link = parse_qs(urlsplit((answer or "").partition(":")[2]).query).get("deep_link", [""])[-1]
    ended = records.opened().withdraw(visitors.of(request), request.session_hash, link) if request else 0
    line = say("share.stopped" if ended else "share.nothing")
    return gr.update(value=line, visible=True), gr.update(visible=False)


def _wire_choices(demo: gr.Blocks, c: dict, v: dict) -> None:
    """A photo or clip checked as it arrives, the tabs and what they show, the estimate beside Paint."""
    input_tabs, photo_tab, video_tab = c["input_tabs"]
    c["content"].change(_photo_chosen, c["content"],
                        [v["out"], v["clip_out"], c["problem"], c["gif_note"], c["editor"], v["results"],
                         v["status"]], queue=False, show_progress="hidden", api_visibility="private")
    c["clip"].change(_clip_chosen, c["clip"], [v["out"], v["clip_out"], c["clip_problem"], v["results"], v["status"],
                                               c["clip_still"]],
                     queue=False, show_progress="hidden", api_visibility="private")
    c["sizes"].input(lambda side: side, c["sizes"], c["size"], queue=False, show_progress="hidden",
                     api_visibility="private")
    held = [c["mode"], c["seconds"], c["video_seconds"], c["sizes"]]
    shown = [c["mode"], c["run"], c["run_regions"], c["run_video"], c["run_all"], c["seconds"], c["video_seconds"],
             c["sizes"], c["style_tabs"], input_tabs, c["size"]]
    timing = [c["mode"], c["content"], c["clip"], c["size"], c["steps"], c["seconds"], c["video_seconds"]]
    told = [c["eta"], c["sizes"], c["run"], c["run_regions"], c["run_video"], c["run_all"]]
    tabs = [(photo_tab, "photo", None), (video_tab, "video", None)] + [
        (tab, name, regions.WATCH_BRUSH if name == "regions" else None)
        for tab, name in zip(c["tabs"], ("presets", "own", "regions", "all"))]
    for tab, name, js in tabs:
        tab.select(functools.partial(_mode, name), held, shown, queue=False, show_progress="hidden",
                   api_visibility="private", js=js).then(_estimate_now, timing, told, queue=False,
                                                         show_progress="hidden", api_visibility="private")
    # An animated GIF dropped as a photo: offered as a clip (the Video tab, with the GIF in it).
    c["gif_to_clip"].click(lambda content, *current: (content, *_mode("video", *current)),
                           [c["content"], *held], [c["clip"], *shown], queue=False, show_progress="hidden",
                           api_visibility="private").then(_estimate_now, timing, told, queue=False, show_progress="hidden",
                                                          api_visibility="private")
    for trigger in (c["content"].change, c["clip"].change, c["size"].change, c["steps"].change, c["seconds"].change,
                    c["video_seconds"].change):
        trigger(_estimate_now, timing, told, queue=False, show_progress="hidden", api_visibility="private")
    # (Gradio's own timer, "0.1s", would stand in the plan line while it is worked out: hidden.)
    demo.load(_estimate_now, timing, told, queue=False, show_progress="hidden", api_visibility="private")
    demo.load(_localised, [c["style_preset"], v["told"], v["status"]],
              [c["gallery"], v["status"], v["download"], v["jpeg"]], queue=False, show_progress="hidden",
              api_visibility="private")


MODE = "photo presets"


def _paint() -> dict:
    """Paint's own look, sent with every change of a Paint button."""
    return {"value": words.word("paint"), "variant": "primary"}


def _mode(picked: str, current: str, seconds, video_seconds, sizes) -> tuple:
    """A tab picked (an input tab: photo, video; or a painting's tab): the mode it leaves the page in, and
    what the page shows for it: the Paint of that endpoint, the time choices of photos or of clips, the sizes
    (photos only), the "By region" and "All four" tabs (photos only: a clip is painted whole in one painting;
    Masterpiece instead).
    Each choice is sent in full (value and visibility): Gradio keeps a component in the session as its last
    update left it, and a shared link's page is saved from there (an update with only some of it saved no
    time and a hidden Paint reading "Run")."""
    source, style = current.split()
    source, style = (picked, style) if picked in ("photo", "video") else (source, picked)
    if source == "video" and style in ("regions", "all"):
        style = "presets"
    mode, photo = f"{source} {style}", source == "photo"
    # "By region" and "All four" are hidden by a class (gr.Tab's own visible does not hide its button once shown, 6.31).
    classes = ([] if photo else ["clip-mode"]) + (["all-mode"] if style == "all" else [])
    tabs = {"elem_classes": classes, **({"selected": style} if style != current.split()[1] else {})}
    # The input tab, said too: a shared link's page opens on the owner's (a clip's on Video, where its Paint is).
    return (mode, *_paints(mode, True), gr.update(value=seconds, visible=photo),
            gr.update(value=video_seconds, visible=not photo),
            gr.update(value=sizes, visible=photo and len(size_choices()) > 1), gr.update(**tabs),
            gr.update(selected=source), gr.update(label=words.word("size.label" if photo else "size.label_clip")))


def _paint_chain(button, start, why, start_inputs, start_outputs, handler, api_name, validator, inputs, c, v, record,
                 outputs):
    """Paint pressed → ``start`` (a refusal said beside Paint, else the buttons) → the run's endpoint, streamed
    into ``outputs`` → the results."""
    # Queued (its own concurrency group, so it never waits for a painting): a queued event's
    # gr.Error reaches the visitor as a toast with its message; an unqueued one shows a bare "Error".
    # Not the status among its outputs: a refusal here (a bad photo, a second run) would mark it "Error".
    started = button.click(start, start_inputs, [button, c["stop"], v["results"], v["out"], v["clip_out"], record,
                                                 *start_outputs],
                           show_progress="hidden", api_visibility="private", js=SHOW_CANVAS)
    # The reason of a refusal, beside Paint where the visitor looks (the toast may be out of sight).
    button.click(functools.partial(_refusal_line, why), start_inputs, c["eta"], queue=False, show_progress="hidden",
                 api_visibility="private")
    # The status line says how far the run is in words; Gradio's own indicator stays small (it shows a
    # place in the queue while waiting) instead of covering the status with its bar and timer.
    run = started.success(handler, inputs, outputs, api_name=api_name, validator=validator,
                          show_progress="minimal", show_progress_on=[v["status"]],
                          concurrency_limit=settings.CONCURRENCY, concurrency_id="paint")
    # Finishing (PNG, before/after, timelapse: up to a second) keeps the painting in view: Gradio's
    # indicator would cover the canvas and the status ("Done in …") just as the painting is done.
    ended = [v["out"], v["clip_out"], v["download"], v["jpeg"], v["compare"], v["timelapse"], v["results"],
             v["status"], button, c["stop"], v["told"]]
    run.then(_ended, [record], ended, api_visibility="private", show_progress="hidden")
    return run


def _start(content, style_preset, style_image, size, steps, style_strength, preserve_color, style_scale, seed,
           second_style, blend, seconds, request: gr.Request):
    """Paint pressed: a run the server would refuse is refused here, the buttons left ready (the reason in
    a toast, and beside Paint: _refusal_line); else the buttons turn to their running state."""
    _refuse(_why_photo(content, style_preset, style_image, size, steps, style_strength, preserve_color, style_scale,
                       seed, second_style, blend, seconds), request)
    return _running()


def _start_regions(editor, content, first_painting, second_painting, size, steps, style_strength, preserve_color,
                   style_scale, seed, seconds, request: gr.Request):
    """Paint pressed in the "By region" tab: as _start, and the strokes as one image for the run."""
    _refuse(_why_regions(editor, content, first_painting, second_painting, size, steps, style_strength, preserve_color,
                         style_scale, seed, seconds), request)
    return *_running(), regions.strokes(editor)


def _start_all(content, size, steps, style_strength, preserve_color, style_scale, seed, seconds, request: gr.Request):
    """Paint pressed in the "All four" tab: as _start."""
    _refuse(_why_all(content, size, steps, style_strength, preserve_color, style_scale, seed, seconds), request)
    return _running()


def _why_all(*values) -> str:
    return all_four.all_refusal(*values)[1]


def _start_video(content, style_preset, style_image, seconds, size, fps, steps, style_strength, preserve_color,
                 style_scale, seed, request: gr.Request):
    """Paint pressed in the Video tab: as _start."""
    _refuse(_why_video(content, style_preset, style_image, seconds, size, fps, steps, style_strength, preserve_color,
                       style_scale, seed), request)
    return _running()


def _why_photo(*values) -> str:
    return painting.run_refusal(*values)[1]


def _why_regions(editor, content, first_painting, second_painting, *settings_values) -> str:
    strokes = regions.strokes(editor)
    if content is not None and strokes is None:
        reason = say("no_regions")
        return reason[:1].upper() + reason[1:]
    return painting.regions_refusal(content, first_painting, second_painting, strokes, *settings_values)[1]


def _why_video(*values) -> str:
    return video.video_refusal(*values)[1]


def _refuse(message: str, request: gr.Request) -> None:
    """End the Paint chain with ``message`` (a second run of the visitor's where there is none) as a toast."""
    message = message or (say("already_painting") if painting.RUNS.busy(visitors.of(request)) else "")
    # A queue with no room left would refuse the run after its buttons turned to Stop (in Gradio's own words,
    # English): refused here instead, the page left ready.
    message = message or (say("busy") if painting.RUNS.waiting() >= settings.QUEUE_SIZE else "")
    if message:
        # A notice, not a failure: Gradio's toast is titled by its kind ("Warning"); the hidden error ends the chain.
        gr.Warning(message)
        raise gr.Error(message, visible=False, print_exception=False)


def _refusal_line(why, *values):
    """Beside Paint, why the server refuses the run it would start (nothing when it would not)."""
    message = why(*values)
    return gr.update(value=f"⚠️ {message}", elem_classes=["refused"]) if message else gr.skip()


def _running():
    """The buttons of a run under way (Stop in Paint's place), the results of the last run gone, the canvas out."""
    # Both buttons said in full: a shared link's page restores the owner's buttons as they were saved
    return (gr.update(value=words.word("painting_now"), variant="secondary"),
            gr.update(value=words.word("stop"), variant="stop", visible=True),
            gr.update(visible=False), gr.update(visible=True), gr.update(visible=False), None)


def _photo_chosen(content):
    """A photo chosen (or removed): checked at once. A good one goes on the canvas (the painting starts
    from it) and under the brush, the last run's results leave; a bad one is refused over its box. An
    animated GIF is said to be painted from its first frame, with an offer to paint it as a clip."""
    example = (gr.update(value=EXAMPLE, visible=True), gr.update(visible=False))  # the canvas, not a clip's player
    if content is None:
        return *example, gr.update(visible=False), gr.update(visible=False), None, gr.skip(), _caption("example")
    try:
        photo = load_image(content, "photo")
    except ValueError as exc:
        reason = str(exc).removeprefix("photo: ")
        return (*example, gr.update(value=f"⚠️ {say('not_a_photo', reason=words.engine(reason))}", visible=True),
                gr.update(visible=False), None, gr.skip(), _caption("example"))
    stored = _stored(content)
    shown = content if stored.get("format") in SHOWN_AS_IS else _preview(photo)
    return (gr.update(value=shown, visible=True), gr.update(visible=False), gr.update(visible=False),
            gr.update(visible=stored.get("animated", False)),
            regions.photo_under_brush(photo), gr.update(visible=False), _caption("photo"))


# What every browser shows as it is; a HEIC (Chrome, Firefox) or a TIFF (all but Safari) goes on the canvas decoded.
SHOWN_AS_IS = {"JPEG", "PNG", "WEBP", "AVIF", "GIF", "BMP"}


def _stored(path: str) -> dict:
    """The photo file's format and whether it is animated (an empty dict where it cannot be opened)."""
    with contextlib.suppress(OSError, ValueError), Image.open(path) as image:
        return {"format": image.format, "animated": bool(getattr(image, "is_animated", False))}
    return {}


def _preview(photo: Image.Image) -> Image.Image:
    preview = photo.copy()
    preview.thumbnail((painting.SHOWN_SIDE, painting.SHOWN_SIDE))
    return preview


def _clip_chosen(clip):
    """A clip chosen (or removed), checked at once (video.clip_chosen): a good one's first frame on the canvas,
    a bad one refused over its box; the canvas back in the painted clip's place, that clip's results gone."""
    first, problem, still = video.clip_chosen(clip)
    gone = gr.update(visible=False)
    canvas = (gr.update(value=EXAMPLE if first is None else first, visible=True), gone)
    return (*canvas, gr.update(value=problem, visible=bool(problem)), gone,
            _caption("example" if first is None else "clip"), gr.update(value=still, visible=bool(still)))


def _caption(shown: str):
    """The line under the canvas, emptied, with what the canvas now shows as its placeholder."""
    return gr.update(value="", placeholder=words.word(f"caption.{shown}"))


def _stopping(record):
    if record is not None:
        record.stopped = True
    kind = record.kind if record is not None else "photo"
    return {"video": video.final_status, "all": all_four.final_status}.get(kind, painting.final_status)(record)


def _ended(record):
    """After the run (finished, stopped or failed): the results of the picture or clip reached, buttons back."""
    buttons = (gr.update(visible=True, **_paint()), gr.update(value=words.word("stop"), variant="stop", visible=False))
    if record is not None and record.kind in ("video", "all"):
        *ended, told = (_clip_ended if record.kind == "video" else _all_ended)(record)
        return *ended, *buttons, told
    results = painting.finish(record)
    if results is None:  # stopped before the first step, or failed: the status already says so
        return gr.skip(), gr.skip(), None, gr.update(visible=False), None, None, gr.update(visible=False), gr.skip(), \
            *buttons, ""
    width, height = results.size
    png_label = say("download.png_sized", width=width, height=height, size=_megabytes(results.png))
    jpeg_label = say("download.jpeg_sized", size=_megabytes(results.jpeg)) if results.jpeg else None
    download = gr.update(value=str(results.png), label=png_label)
    jpeg = (gr.update(value=str(results.jpeg), label=jpeg_label, visible=True)
            if results.jpeg else gr.update(value=None, visible=False))
    status = painting.final_status(record)
    # The canvas set once more, as a value: a share link saves the page as the session holds it, and
    # Gradio's session copy of a component streamed with skipped steps keeps no value.
    return (gr.update(value=results.shown, visible=True), gr.update(visible=False), download, jpeg,
            results.before_after, str(results.timelapse) if results.timelapse else None,
            gr.update(visible=True, elem_classes=[]), _told(status), *buttons,
            _kept(status=status, download=png_label, jpeg=jpeg_label))


def _told(status: str):
    """The status a run ended with, as an update: Gradio's session copy (what a share link saves) takes in
    an update's value, where a plain value returned was seen to leave it as it was."""
    return gr.update(value=status)


def _kept(**lines: words.Said | None):
    """What a run's end said (the status, the downloads' labels), kept on the page: a shared link's page says
    it again in its stranger's language (_localised)."""
    return gr.update(value=json.dumps({name: line.dump() for name, line in lines.items() if line is not None}))


def _clip_ended(record) -> tuple:
    """After a clip's run: the clip it left (the frames painted, finished or stopped) playing where they formed."""
    writer = record.clip
    if writer is None or not writer.frames:
        return gr.skip(), gr.skip(), None, gr.update(visible=False), None, None, gr.update(visible=False), \
            video.final_status(record), ""
    path = writer.close()  # Stop may have ended the run mid-frame: the clip is the frames before it
    status = video.final_status(record)
    label = say("download.mp4_sized", length=words.duration(writer.seconds), size=_megabytes(path))  # its size: in the status
    # A clip has no before/after or timelapse: their tabs are hidden by a class (as layout._mode says why).
    return (gr.update(visible=False), gr.update(value=str(path), visible=True),
            gr.update(value=str(path), label=label), gr.update(value=None, visible=False), None, None,
            gr.update(visible=True, elem_classes=["clip-results"], selected="download"), _told(status),
            _kept(status=status, download=label))


def _all_ended(record) -> tuple:
    """After all four: the figure on the canvas, its PNG and the four paintings' ZIP to download, its timelapse."""
    made = all_four.finish(record)
    status = all_four.final_status(record)
    if made is None:
        return gr.skip(), gr.skip(), None, gr.update(visible=False), None, None, gr.update(visible=False), \
            _told(status), ""
    width, height = made.size
    figure_label = say("download.figure_sized", width=width, height=height, size=_megabytes(made.figure))
    four_label = say("download.four_sized", size=_megabytes(made.zip))
    # Before/after has no place beside a figure that holds the photo itself: its tab is hidden by a class.
    return (gr.update(value=made.shown, visible=True), gr.update(visible=False),
            gr.update(value=str(made.figure), label=figure_label),
            gr.update(value=str(made.zip), label=four_label, visible=True), None,
            str(made.timelapse) if made.timelapse else None,
            gr.update(visible=True, elem_classes=["all-results"], selected="download"), _told(status),
            _kept(status=status, download=figure_label, jpeg=four_label))


def _megabytes(path) -> str:
    size = Path(path).stat().st_size
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


def _estimate_now(mode, content, clip, size, steps, seconds, video_seconds, request: gr.Request):
    """estimate, for the page: one that arrives while the visitor's run is under way leaves the Paint buttons
    as the run set them (seen once: an estimate landing after Paint put "Paint" back beside Stop)."""
    told = estimate(mode, content, clip, size, steps, seconds, video_seconds)
    if request is not None and painting.RUNS.busy(visitors.of(request)):
        return *told[:2], *[gr.skip()] * (len(told) - 2)
    return told


def estimate(mode, content, clip, size, steps, seconds, video_seconds):
    """Beside Paint, what a run with these settings would paint on this server and in how long (or why the
    server would refuse it: its Paint is then not offered), the size choices with their times, and the
    Paint buttons (each said in full: see _mode)."""
    if mode.split()[0] == "video":
        line, refused = video.plan_line(clip, size, steps, video_seconds)
        return _line(line, refused), gr.skip(), *_paints(mode, not refused)
    # The choice that is the size set (none for a size of the options' own): a shared link restores the size.
    choices = size_choices(seconds if not steps else None)
    sizes = gr.update(choices=choices, value=next((side for _, side in choices if side == int(size or 0)), None))
    try:  # the settings first: they decide whether Paint is offered at all
        painting.make_config(size, steps, painting.DEFAULTS.style_weight, False, 1.0, 0, 0.0, False, seconds)
    except ValueError as exc:
        refused = say("estimate.refused",
                      reason=exc.reason if isinstance(exc, painting.SettingError) else words.engine(str(exc)))
        return _line(refused, True), sizes, *_paints(mode, False)
    try:
        # Only the header: this runs on every slider move, and the upload's own check says what is wrong.
        with Image.open(content) if content else contextlib.nullcontext() as photo:
            photo_size = _upright_size(photo) if photo else (4, 3)
        # All four: each painting in its share of the time (by steps, each its own steps).
        paintings = len(all_four.FIGURE) if mode.split()[1] == "all" else 1
        config = StyleConfig(size=int(size), steps=int(steps),
                             seconds=float(seconds) * painting.print_parts(int(size)) / paintings)
        took = paintings * estimate_seconds(photo_size, config, device_type=gpu.DEVICE_TYPE)
        width, height = plan_scales(photo_size, config, device_type=gpu.DEVICE_TYPE)[-1].size
    except (ValueError, OSError, TypeError):  # a bad file or setting: the run will say what is wrong
        return _line("", False), sizes, *_paints(mode, True)
    where = say("estimate.gpu" if gpu.DEVICE_TYPE == "cuda" else "estimate.cpu")
    told = say("estimate.all" if paintings > 1 else "estimate", time=words.duration(max(1, round(took))), where=where,
               width=width, height=height)
    return (_line(told, False), sizes,
            *_paints(mode, True))


def _paints(mode: str, offered: bool) -> tuple:
    """The four Paint buttons (photo, by region, clip, all four) for ``mode``: the mode's own shown, offered or not."""
    source, style = mode.split()
    photo = source == "photo"
    shown = (photo and style not in ("regions", "all"), photo and style == "regions", source == "video",
             photo and style == "all")
    return tuple(gr.update(visible=visible, interactive=offered, **_paint()) for visible in shown)


def _line(text: str, refused: bool):
    return gr.update(value=f"⚠️ {text}" if refused else text, elem_classes=["refused"] if refused else [])


def _upright_size(photo: Image.Image) -> tuple[int, int]:
    """A photo's size as it is painted: turned by its EXIF orientation (5-8 swap the sides)."""
    with contextlib.suppress(Exception):
        if photo.getexif().get(0x0112) in (5, 6, 7, 8):
            return photo.size[::-1]
    return photo.size
