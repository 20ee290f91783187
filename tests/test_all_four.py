"""All four at once (issue 37's engine): the four paintings as each is painted alone, in the paper's order, Stop
keeping what was reached, the figure of them, and ``--style all`` on the command line."""

import json

import numpy as np
from PIL import Image

from conftest import TUBINGEN
from style_core import StyleConfig, presets, stylize
from style_core.all_four import FIGURE, grid, stylize_all
from style_core.cli import main

SMALL = StyleConfig(size=64, steps=4, seed=2, precision="fp32", preview_every=1)


def test_each_of_the_four_is_the_painting_it_would_be_alone_in_the_papers_order():
    records = list(stylize_all(TUBINGEN, SMALL))
    last = records[-1]
    assert last.done and last.styles == FIGURE == (
        "shipwreck-of-the-minotaur", "starry-night", "the-scream", "composition-vii")
    assert [r.index for r in records[:-1]] == sorted(r.index for r in records[:-1])  # one after the other
    assert len(records) >= 8 and records[0].images[1:] == (None, None, None)  # streamed as they form
    for style, image in zip(FIGURE, last.images):
        alone = [p.image for p in stylize(TUBINGEN, style, SMALL) if p.done][0]
        assert np.array_equal(np.asarray(image), np.asarray(alone)), style


def test_stop_keeps_the_paintings_as_far_as_they_got():
    run = stylize_all(TUBINGEN, SMALL)
    for record in run:
        if record.index == 2:
            break
    run.close()
    assert [image is not None for image in record.images] == [True, True, True, False]


def test_the_figure_puts_the_photo_beside_the_four_under_their_titles():
    photo = Image.new("RGB", (400, 300), (200, 30, 30))
    paintings = [Image.new("RGB", (40, 30), colour) for colour in ((0, 0, 200), (0, 160, 0), (240, 200, 0))] + [None]
    figure = grid(photo, paintings, ["Blue", "Green", "Yellow", "Not begun"], cell=120)
    pixels = np.asarray(figure).astype(int)
    assert figure.size[0] > 3 * 120 and figure.size[1] > 2 * 90

    def colour_at(x: float, y: float) -> tuple:
        return tuple(pixels[int(y * figure.size[1]), int(x * figure.size[0])])

    assert colour_at(1 / 6, 0.5) == (200, 30, 30)  # the photo, left, in the middle of the height
    assert colour_at(0.5, 0.2) == (0, 0, 200) and colour_at(5 / 6, 0.2) == (0, 160, 0)
    assert colour_at(0.5, 0.7) == (240, 200, 0) and colour_at(5 / 6, 0.7) == (235, 235, 235)  # not begun: blank
    under = pixels[int(0.43 * figure.size[1]) - 6:int(0.43 * figure.size[1]) + 6, 150:350]
    assert (under.sum(-1) < 200).any()  # a title written under the first row


def test_cli_style_all_writes_the_figure_and_each_painting_with_its_settings(tmp_path):
    out = tmp_path / "figure.png"
    assert main(["--content", "tubingen", "--style", "all", "--size", "48", "--steps", "2",
                 "--output", str(out)]) == 0
    figure = Image.open(out)
    assert figure.size[0] > figure.size[1] > 0 and json.loads(figure.text["deepstyle"])["styles"] == ["all"]
    for style in presets.STYLE_IDS:
        painted = Image.open(tmp_path / f"figure-{style}.png")
        assert painted.size == (48, 36) and json.loads(painted.text["deepstyle"])["styles"] == [style]


def test_the_pages_figure_titles_are_in_the_visitors_words_where_a_font_writes_them(monkeypatch):
    from ui import all_four, words

    photo = Image.new("RGB", (64, 48), (90, 120, 200))
    paintings = [Image.new("RGB", (64, 48), c) for c in ((200, 40, 30), (30, 160, 60), (240, 200, 40))] + [None]
    english = np.asarray(all_four.figure(photo, paintings, 160))
    with words.use("ko"):
        korean = np.asarray(all_four.figure(photo, paintings, 160))
    assert korean.shape == english.shape and (korean != english).any(axis=2).sum() > 200  # Hangul titles
    monkeypatch.setattr(all_four, "FONTS", ())  # a server without a font that writes Hangul
    all_four._font.cache_clear()
    try:
        plain = np.asarray(all_four.figure(photo, paintings, 160))
        with words.use("ko"):
            fallen_back = np.asarray(all_four.figure(photo, paintings, 160))
    finally:
        all_four._font.cache_clear()
    assert np.array_equal(fallen_back, plain)  # the English titles, never boxes where letters should be
