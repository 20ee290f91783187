"""A painting's style statistics are computed once per size and layers, and reused by later runs."""

import numpy as np
import pytest

from conftest import photo, stripes
from style_core import StyleConfig, load_image, prepare_paintings, presets, stylize, targets

CONFIG = StyleConfig(size=96, steps=6, scales=2, min_scale_size=48, precision="fp32", device="cpu")


@pytest.fixture(autouse=True)
def empty_cache():
    targets.clear()
    yield
    targets.clear()


def _picture(content, style, config=CONFIG):
    return np.asarray([p for p in stylize(content, style, config) if p.done][-1].image)


def test_a_second_run_with_the_same_painting_reuses_its_statistics_and_paints_the_same_picture(monkeypatch):
    first = _picture(photo(), stripes())
    assert len(targets._CACHE) == 2  # one set per scale
    computed = []
    original = targets.cached

    def counting(key, compute):
        return original(key, lambda: computed.append(key) or compute())

    monkeypatch.setattr(targets, "cached", counting)
    again = _picture(photo(), stripes())
    assert computed == [] and np.array_equal(first, again)
    _picture(photo(), stripes(period=6))  # another painting: its own statistics
    assert len(computed) == 2 and len(targets._CACHE) == 4
    _picture(photo(), stripes(), CONFIG.replace(style_scale=1.5))  # painted bigger: other sizes
    assert len(computed) == 4


def test_prepared_presets_are_not_computed_again_by_a_run(monkeypatch):
    config = CONFIG.replace(steps=0, seconds=2.0)
    prepare_paintings(["starry-night"], config)
    assert len(targets._CACHE) == 2
    computed = []
    original = targets.cached
    monkeypatch.setattr(targets, "cached", lambda key, compute: original(key, lambda: computed.append(key) or compute()))
    for _ in stylize(photo(160, 120), "starry-night", config):
        pass
    assert computed == []
    for _ in stylize(photo(160, 120), load_image(presets.resolve("starry-night")), config):  # the same pixels, loaded anew
        pass
    assert computed == []


def test_the_cache_keeps_the_most_recently_used(monkeypatch):
    monkeypatch.setattr(targets, "CACHE_SIZE", 2)
    for key in ("a", "b"):
        targets.cached((key,), lambda key=key: {"value": key})
    targets.cached(("a",), lambda: pytest.fail("a is kept"))  # used again: now the most recent
    targets.cached(("c",), lambda: {"value": "c"})
    assert list(targets._CACHE) == [("a",), ("c",)]


def test_the_digest_tells_paintings_apart_by_pixels_not_by_object():
    a, b = stripes(), stripes()
    assert a is not b and targets.digest(a) == targets.digest(b)
    assert targets.digest(stripes(period=6)) != targets.digest(a)
    assert targets.digest(a.resize((a.width + 1, a.height))) != targets.digest(a)
