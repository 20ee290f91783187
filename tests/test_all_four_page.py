"""The "All four" tab in a real headless Chromium: the four forming in the figure, Stop, the downloads, the
figure's share link opened by a stranger and unfurled by a chat app; a refused photo."""

import io
import json
import re
import time
import zipfile

import httpx
import pytest
from PIL import Image

from appserver import serve
from conftest import photo
from style_core.all_four import FIGURE
from test_browser import (CHROMIUM, SIZES, _bad_photos, _card, _in_view, _open, _ready, _set_size_and_steps, _shot,
                          _status, _upload, browser)  # noqa: F401 (browser: the fixture)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="no chromium")]


def _figure_width(page) -> int:
    return page.locator("#out img").first.evaluate("img => img.complete ? img.naturalWidth : 0")


@pytest.mark.parametrize("screen", SIZES)
def test_all_four_form_in_view_stop_keeps_them_and_the_figure_is_shared(browser, tmp_path, screen):
    with serve(tmp_path) as app:
        page = _open(browser, app, screen)
        page.locator("#run").wait_for()
        page.get_by_role("tab", name="All four").click()
        page.locator("#run-all").wait_for()
        assert page.locator("#run").is_hidden() and page.locator("#blend-row").is_hidden()
        # A refused photo: said beside it and in a toast, Paint ready again at once.
        _upload(page, "content", _bad_photos(tmp_path)["text.jpg"])
        page.locator("#photo-problem").filter(has_text="not an image").wait_for(timeout=5_000)
        page.locator("#run-all").click()
        page.locator(".toast-body").filter(has_text="not an image").first.wait_for(timeout=5_000)
        _ready(page, "#run-all")
        page.locator("#content button[aria-label='Remove Image']").click()
        mine = tmp_path / "mine.png"
        photo(160, 120, seed=7).save(mine)
        _upload(page, "content", mine)
        page.wait_for_function("document.querySelector('#status textarea').placeholder.startsWith('Above: your photo')")
        page.get_by_text("More options").click()
        _set_size_and_steps(page, 128, 40, "128×96 px")
        assert "four paintings of 128×96 px" in page.locator("#eta").inner_text()
        page.locator("#run-all").click()
        # The four form together where the visitor looks: the figure (three cells wide) on the canvas.
        page.wait_for_function("document.querySelector('#status textarea').value.startsWith('Painting 2 of 4')",
                               timeout=90_000)
        box = page.locator("#out").bounding_box()  # scrolled to its top (by a fraction of a pixel, at times)
        assert box["y"] >= -1 and box["y"] + box["height"] / 2 <= SIZES[screen][1], ("the figure forms out of view", box)
        assert _figure_width(page) > 500
        _shot(page, f"all-four-{screen}-forming")
        page.locator("#stop").click()
        page.wait_for_function("document.querySelector('#status textarea').value.startsWith('Stopped while painting')",
                               timeout=5_000)
        page.locator("#results").wait_for()
        stopped = _status(page)
        number = int(re.search(r"painting (\d) of 4", stopped).group(1))
        assert number >= 2 and page.locator("#tab-compare-button").is_hidden()
        _shot(page, f"all-four-{screen}-stopped")
        # The figure's PNG: the four (as far as they got) and the photo, its settings naming the four.
        with page.expect_download() as saved:
            page.locator("#download").click()
        figure = Image.open(saved.value.path())
        width, height = (int(v) for v in re.search(r"(\d+)×(\d+) px", page.locator("#download").inner_text()).groups())
        assert figure.size == (width, height) and width > 1.5 * height  # three cells wide, two high
        settings = json.loads(figure.text["deepstyle"])
        assert settings["styles"] == list(FIGURE) and settings["all"] and not settings["finished"]
        # The four PNGs (those begun), each with its own settings.
        with page.expect_download() as saved:
            page.locator("#download-jpeg").click()
        with zipfile.ZipFile(saved.value.path()) as archive:
            made = {name: json.loads(Image.open(io.BytesIO(archive.read(name))).text["deepstyle"])
                    for name in archive.namelist()}
        assert len(made) == number, made.keys()
        first_done = made[next(n for n in made if FIGURE[0] in n)]
        assert first_done["styles"] == [FIGURE[0]] and first_done["finished"] and first_done["steps_done"] == 40
        # The figure's share link: a stranger sees the figure; a chat app unfurls it; Stop sharing ends that.
        with page.expect_response(lambda r: "/gradio_api/deep_link" in r.url) as answer:
            page.locator(".share-link").first.click()
        link = f"{app.url}?deep_link={answer.value.json()}"
        stranger = browser.new_context(viewport={"width": SIZES[screen][0], "height": SIZES[screen][1]}).new_page()
        stranger.goto(link)
        stranger.locator("#out img").wait_for()
        stranger.wait_for_function("document.querySelector('#out img')?.naturalWidth > 500", timeout=10_000)
        stranger.wait_for_function("document.querySelector('#status textarea').value.startsWith('Stopped while')",
                                   timeout=10_000)
        stranger.wait_for_timeout(1000)
        assert _in_view(stranger, "#out img"), "the shared figure is below the fold"
        _shot(stranger, f"all-four-{screen}-shared")
        tags, picture = _card(link)
        assert tags["og:title"].startswith("A photo painted as all four masterpieces")
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(picture.content)).size == figure.size
        page.locator("#unshare").click()
        page.locator("#shared-line").filter(has_text="Stopped sharing").wait_for(timeout=5_000)
        deadline = time.monotonic() + 5
        while httpx.get(tags["og:image"], timeout=30).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert httpx.get(tags["og:image"], timeout=30).status_code in (404, 410)
    log = next(tmp_path.glob("app-*.log")).read_text()
    assert "Traceback" not in log, log[-3000:]
