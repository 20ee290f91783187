"""The page in a real headless Chromium (Debian's chromium, driven by playwright)."""

import os
import shutil
import time
from pathlib import Path

import pytest

from appserver import serve
from conftest import ROOT, TUBINGEN, photo, stripes

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("DEEPSTYLE_ARTIFACTS", ROOT / "artifacts"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


@pytest.fixture
def browser(tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("HOME", str(tmp_path))  # chromium writes ~/.config and ~/.cache
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    return browser.new_page(viewport={"width": 1280, "height": 1000})


def _upload(page, elem_id: str, path) -> str:
    """Upload a file into a component; return its path on the server (from Gradio's upload answer)."""
    with page.expect_response(lambda r: "/gradio_api/upload" in r.url and r.request.method == "POST") as answer:
        page.locator(f"#{elem_id} input[type=file]").set_input_files(str(path))
    return answer.value.json()[0]


def _set_number(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def test_pick_composition_vii_upload_run_watch_stop(page, tmp_path):
    with serve(tmp_path) as app:
        page.goto(app.url)
        page.locator("#gallery img[alt^='Composition VII']").click()
        page.wait_for_function("document.querySelector('#chosen').innerText.includes('Composition VII')")
        page.locator("#content input[type=file]").set_input_files(TUBINGEN)
        page.get_by_text("More options").click()
        _set_number(page, "size", 128)
        _set_number(page, "steps", 400)
        page.locator("#run").click()
        sources = []
        deadline = time.monotonic() + 90
        while len(set(sources)) < 3 and time.monotonic() < deadline:
            src = page.locator("#out img").first.get_attribute("src") if page.locator("#out img").count() else None
            if src and (not sources or src != sources[-1]):
                sources.append(src)
            time.sleep(0.2)
        assert len(set(sources)) >= 3, sources  # the picture changed at least twice
        page.locator("#stop").click()
        time.sleep(2)
        status = page.locator("#status textarea").input_value()
        assert status.startswith("Stopped at step"), status
        assert page.locator("#out img").count() == 1  # Stop keeps the last picture
        # The session's own files (its upload, its pictures) reach it: private_files lets them through.
        page.get_by_role("tab", name="Before / after").click()
        for selector in ("#content img", "#out img", "#compare img"):
            assert page.locator(selector).first.evaluate("img => img.complete && img.naturalWidth > 0"), selector
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-run-stopped.png"), full_page=True)
        page.locator("#about").get_by_text("About").click()
        assert "Wassily Kandinsky" in page.locator("#credits").inner_text()


def test_phone_width_layout_has_no_horizontal_scroll(page, tmp_path):
    with serve(tmp_path) as app:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(app.url)
        page.locator("#run").wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-phone.png"), full_page=True)


def test_closing_the_tab_stops_the_work(page, tmp_path):
    with serve(tmp_path) as app:
        page.goto(app.url)
        page.locator("#content input[type=file]").set_input_files(TUBINGEN)
        page.get_by_text("More options").click()
        _set_number(page, "size", 192)
        _set_number(page, "steps", 1000)
        page.locator("#run").click()
        page.wait_for_function("document.querySelector('#status textarea').value.includes(' step ')", timeout=60_000)
        busy = app.cpu_rate(1.0)
        page.close()
        time.sleep(2.0)
        idle = app.cpu_rate(2.0)
        assert busy > 0.8 and idle < 0.25, (busy, idle)


def test_a_share_link_shows_the_painting_to_a_stranger_and_nothing_else(browser, tmp_path):
    with serve(tmp_path) as app:
        page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        page.goto(app.url)
        first = tmp_path / "first.png"
        photo(160, 120, seed=3).save(first)
        first_photo = _upload(page, "content", first)  # replaced below: not shared
        page.locator("#content button[aria-label='Remove Image']").click()
        shared_photo = _upload(page, "content", TUBINGEN)
        page.get_by_role("tab", name="Your own painting").click()
        own = tmp_path / "own.png"
        stripes(96, 96).save(own)
        own_painting = _upload(page, "style_upload", own)
        page.get_by_text("More options").click()
        _set_number(page, "size", 96)
        _set_number(page, "steps", 6)
        page.locator("#run").click()
        page.wait_for_function("document.querySelector('#status textarea').value.startsWith('Done')", timeout=120_000)
        with page.expect_response(lambda r: "/gradio_api/deep_link" in r.url) as answer:
            page.locator(".share-link").first.click()  # the button copies the page's URL with this link's id
        link = f"{app.url}?deep_link={answer.value.json()}"

        stranger = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        stranger.goto(link)
        stranger.locator("#out img").wait_for()
        for selector in ("#out img", "#content img"):  # the painting and its photo
            assert stranger.locator(selector).first.evaluate("img => img.complete && img.naturalWidth > 0"), selector
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stranger.screenshot(path=str(ARTIFACTS / "browser-shared-link.png"))
        assert stranger.request.get(f"{app.url}gradio_api/file={first_photo}").status == 403
        assert stranger.request.get(f"{app.url}gradio_api/file={own_painting}").status == 403
        assert stranger.request.get(f"{app.url}gradio_api/file={shared_photo}").status == 200
