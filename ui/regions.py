"""The "By region" tab: a brush over the photo with one colour per painting, quick regions,
and the map of the strokes that ``/stylize_regions`` paints from (painting.paint_regions).

Blue marks where the first painting goes, orange where the second goes; what stays unpainted
stays the photo. The brush is half transparent so the photo shows through the strokes.
"""

from __future__ import annotations

import gradio as gr
from PIL import Image

from style_core import presets

from . import painting, words
from .words import fixed
from .components import Picture, Pick, described

EDITOR_SIDE = 768  # the photo under the brush: enough to brush on, light to send back and forth
BRUSH_ALPHA = 0.6
QUICK = ("whole", "left_right", "top_bottom", "clear")  # the quick regions, as ui/words names their buttons
# While the tab is open, brushing waits for the photo. Gradio's editor lays out its canvas about a
# second before the photo is in (longer on a slow machine), and a stroke made in that second is
# dropped when the photo arrives. So the canvas is covered ("Loading your photo…", or "Choose a photo
# first" when there is none) until the editor holds the photo and has settled; then the brush is
# taken up, so the first stroke paints. ``window.editor`` is the page's one ImageEditor, which
# Gradio exposes on mount (gradio 6.31.0, pinned). ``#regions[data-brush=picked]`` marks "ready".
WATCH_BRUSH = """(...args) => {
  const WORDS = %s;
  const watch = () => {
    const root = document.querySelector('#regions');
    if (!root || root.offsetParent === null) return;  // the tab is closed
    const editor = window.editor;
    const canvas = root.querySelector('canvas');
    const photo = editor && editor.background_image;
    const laidOut = canvas && canvas.getBoundingClientRect().width > 0;
    const chosen = document.querySelector('#content img');
    const refused = (document.querySelector('#photo-problem')?.innerText || '').trim();
    if (!(laidOut && photo)) {  // a refused photo never arrives under the brush (its reason is beside it)
      const words = WORDS[document.documentElement.lang.split('-')[0]] || WORDS.en;
    root.dataset.wait = words[refused ? 'regions.refused' : chosen ? 'regions.loading' : 'regions.no_photo'];
      root.dataset.brush = '';
      root.photoSeen = null;
      return;
    }
    if (root.photoSeen !== photo) {  // a new photo: let it settle one more tick before brushing
      root.photoSeen = photo;
      return;
    }
    if (root.dataset.brush !== 'picked') {
      root.querySelector('button[aria-label="Brush"]')?.click();
      root.dataset.brush = 'picked';
      delete root.dataset.wait;
    }
  };
  if (!window.deepstyleBrushWatch) window.deepstyleBrushWatch = setInterval(watch, 150);
  watch();
  return args;
}""" % words.browser_words("regions.loading", "regions.no_photo", "regions.refused")
CSS = """
#regions {position: relative}
#quick-regions {gap: 6px}
#quick-regions button {flex: 1 1 45%}
#regions[data-wait]::after {content: attr(data-wait); position: absolute; inset: 0; z-index: 50; display: flex;
  align-items: center; justify-content: center; background: var(--block-background-fill); font-size: var(--text-lg)}
"""


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def build(ids: list[str]) -> dict:
    """The tab's contents (inside a gr.Tab): the two paintings, the brush, the quick regions."""
    choices = [(fixed(words.title, i), i) for i in ids]
    blue, orange = painting.REGION_COLOURS["blue"], painting.REGION_COLOURS["orange"]
    gr.Markdown(fixed("regions.help"), elem_id="regions-help")
    # The paintings and the quick regions beside the brush, so that Paint stays on a laptop's first screen.
    with gr.Row(elem_id="regions-row"):
        with gr.Column(scale=5, min_width=240):
            editor = gr.ImageEditor(type="pil", image_mode="RGBA", sources=(), transforms=(), layers=False,
                                    format="png", show_label=False, height=260, elem_id="regions",
                                    brush=gr.Brush(colors=[(_hex(blue), BRUSH_ALPHA), (_hex(orange), BRUSH_ALPHA)],
                                                   color_mode="fixed", default_size=24),
                                    eraser=gr.Eraser(default_size=24))
        with gr.Column(scale=2, min_width=170, elem_id="regions-side"):
            ids_text = ", ".join(ids)
            first = described(Pick(choices, value=painting.FIRST_PAINTING, label=fixed("regions.blue"), elem_id="region-first"),
                              f"The painting of the blue region: one of {ids_text}.")
            second = described(Pick(choices, value=painting.SECOND_PAINTING, label=fixed("regions.orange"), elem_id="region-second"),
                               f"The painting of the orange region: one of {ids_text}.")
            with gr.Row(elem_id="quick-regions"):
                quick = [gr.Button(fixed(f"regions.{kind}"), size="sm", elem_classes=["quick-region"], min_width=60)
                         for kind in QUICK]
    # The strokes as one image, as /stylize_regions takes them (hidden: the page fills it on Paint).
    regions_map = described(Picture(type="filepath", format="png", image_mode="RGBA", visible="hidden",
                                    label="Regions", elem_id="regions-map"),
                            "An image of the regions, any size: blue #2563eb where the first painting goes, orange "
                            "#ea580c where the second goes; black or transparent stays the photo.",
                            example="docs/example-regions.png")
    for button, kind in zip(quick, QUICK):
        button.click(lambda value, k=kind: quick_regions(value, k), editor, editor, queue=False,
                     api_visibility="private")
    return {"region_first": first, "region_second": second, "editor": editor, "regions_map": regions_map}


def photo_under_brush(photo: Image.Image):
    """The editor's value for a newly chosen photo (checked: layout._photo_chosen): the photo, no strokes yet."""
    photo = photo.copy()
    photo.thumbnail((EDITOR_SIDE, EDITOR_SIDE), Image.Resampling.LANCZOS)
    return {"background": photo, "layers": [], "composite": None}


def quick_regions(value: dict | None, kind: str):
    """The editor with a quick region painted in: the first painting everywhere, or split in two."""
    if not value or value.get("background") is None:
        raise gr.Error(words.say("no_photo"), print_exception=False)
    width, height = value["background"].size
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    blue, orange = (c + (round(255 * BRUSH_ALPHA),) for c in painting.REGION_COLOURS.values())
    if kind == "whole":
        layer.paste(blue, (0, 0, width, height))
    elif kind == "left_right":
        layer.paste(blue, (0, 0, width // 2, height))
        layer.paste(orange, (width // 2, 0, width, height))
    elif kind == "top_bottom":
        layer.paste(blue, (0, 0, width, height // 2))
        layer.paste(orange, (0, height // 2, width, height))
    return {"background": value["background"], "layers": [] if kind == "clear" else [layer], "composite": None}


def strokes(value: dict | None) -> Image.Image | None:
    """All the editor's strokes as one RGBA image (transparent where nothing is painted), or None."""
    layers = [layer for layer in (value or {}).get("layers") or [] if layer is not None]
    if not layers:
        return None
    merged = Image.new("RGBA", layers[0].size, (0, 0, 0, 0))
    for layer in layers:
        merged = Image.alpha_composite(merged, layer.convert("RGBA").resize(merged.size))
    return merged if merged.getextrema()[3][1] > 0 else None
