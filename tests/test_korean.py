"""The page in Korean, in a real headless Chromium with a Korean (ko-KR) or an American (en-US) locale: what
the page shows follows the browser's language (Gradio's own words do already), and what the server says too."""

import re
from pathlib import Path

import pytest
from PIL import Image

from gradio_client import Client, handle_file

from appserver import serve
from conftest import TUBINGEN, photo
from test_browser import CHROMIUM, SIZES, _set_size_and_steps, _shot, _upload, browser  # noqa: F401 - a fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]

# Latin letters a Korean page keeps: proper names, units (Gradio's own timer: "0.4s"), formats (its footer: "API").
KEPT = {"DeepStyle", "Gradio", "px", "s", "fps", "PNG", "JPEG", "MP4", "MOV", "WebM", "AVI", "CPU", "GPU", "VII", "API", "GIF",
        "kB", "NaN"}  # Gradio's player, of a clip it cannot play: "0:00 / NaN:NaN"
# The page as a visitor reads it, without About (its credits name the paper, the people, the licences).
SEEN = """() => {
  const about = document.querySelector('#about');
  const open = about && about.querySelector('#credits');
  const text = document.body.innerText;
  return open ? text.replace(open.innerText, '') : text;
}"""


# Gradio's own words it has no Korean for: its toast over a clip its player cannot play (not DeepStyle's to say).
GRADIO_OWN = ("Error", "Video not playable")


def _english(page) -> list[str]:
    """The English words a visitor sees on the page (placeholders and the status line included), in context."""
    seen = page.evaluate(SEEN)
    for words in GRADIO_OWN:
        seen = re.sub(rf"(?m)^{words}$", "", seen)
    text = seen + " " + page.evaluate(
        "[...document.querySelectorAll('textarea, input[type=text], input[type=number], input:not([type])')]"
        ".filter(e => e.offsetParent !== null).map(e => (e.value || '') + ' ' + (e.placeholder || '')).join(' ')")
    return [text[max(0, m.start() - 30):m.end() + 10] for m in re.finditer(r"[A-Za-z][A-Za-z0-9]*", text)
            if m[0] not in KEPT]  # each with what it stands in


def _in(browser, app, locale: str, screen: str):
    width, height = SIZES[screen]
    page = browser.new_context(locale=locale, viewport={"width": width, "height": height}).new_page()
    page.goto(app.url)
    page.locator("#run").wait_for()
    # The gallery's titles come in the page's language once it has loaded.
    page.wait_for_function("document.querySelector('#eta').innerText.length > 0")
    return page


def _status(page) -> str:
    return page.locator("#status textarea").input_value()


def _until_status(page, start: str, timeout: int = 120_000) -> None:
    page.wait_for_function(f"document.querySelector('#status textarea').value.includes({start!r})", timeout=timeout)


@pytest.mark.parametrize("screen", SIZES)
def test_a_korean_browser_reads_the_page_its_refusals_and_its_run_in_korean(browser, tmp_path, screen):
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (8, 8), "white").save(tiny)
    not_a_clip = tmp_path / "clip.mp4"
    not_a_clip.write_bytes(b"this is not a video")
    with serve(tmp_path) as app:
        page = _in(browser, app, "ko-KR", screen)
        page.wait_for_function("document.querySelector('#gallery img')?.alt === '별이 빛나는 밤'")
        tabs = [t.inner_text() for t in page.get_by_role("tab").all() if t.is_visible()]
        assert tabs == ["사진", "영상", "거장의 그림", "내 그림", "영역별로", "네 점 모두"], tabs
        assert page.locator("#run").inner_text() == "그리기"
        assert page.locator("#chosen").inner_text() == "별이 빛나는 밤 — 빈센트 반 고흐, 1889년"
        alts = [page.locator("#gallery img").nth(i).get_attribute("alt") for i in range(4)]
        assert alts == ["별이 빛나는 밤", "절규", "구성 VII", "미노타우르스 호의 난파"], alts
        assert re.fullmatch(r"이 서버의 CPU에서 약 \d+초, \d+×\d+ px\.", page.locator("#eta").inner_text())
        page.get_by_text("옵션 더 보기").click()
        assert not _english(page), _english(page)
        _shot(page, f"ko-{screen}-1-first-screen")

        _upload(page, "content", tiny)  # a photo refused over its box, in Korean
        page.locator("#photo-problem").wait_for()
        assert page.locator("#photo-problem").inner_text() == \
            "⚠️ 그릴 수 없는 사진이에요: 이미지가 8×8 px예요. 각 변이 16 px 이상이어야 해요"
        assert not _english(page), _english(page)
        _shot(page, f"ko-{screen}-2-photo-refused")

        page.get_by_role("tab", name="영상").click()
        _upload(page, "clip", not_a_clip)
        page.locator("#clip-problem").wait_for()
        assert page.locator("#clip-problem").inner_text().startswith("⚠️ 그릴 수 없는 영상이에요: 영상이 아니거나")
        assert not _english(page), _english(page)
        _shot(page, f"ko-{screen}-3-clip-refused")

        page.get_by_role("tab", name="사진").click()
        mine = tmp_path / "mine.png"
        photo(160, 120, seed=5).save(mine)
        _upload(page, "content", mine)
        page.wait_for_function("document.querySelector('#status textarea').placeholder.startsWith('위: 내 사진')")
        _set_size_and_steps(page, 96, 40, "96×72 px")
        page.locator("#run").click()
        _until_status(page, "단계")
        painting = _status(page)
        assert re.fullmatch(r"(구도를 잡는 중|형태를 그리는 중|세부를 그리는 중|그리는 중)… \d+% · 40단계 중 \d+단계 · "
                            r"(약 \d+초 남음|남은 시간 계산 중)", painting) or painting == "시작하는 중…", painting
        assert page.locator("#stop").inner_text().strip() == "멈추기"
        assert page.locator("#run").inner_text().strip() == "그리는 중…"
        _shot(page, f"ko-{screen}-4-painting")
        _until_status(page, "만에 완성")
        assert re.fullmatch(r"\d+초 만에 완성 · 96×72 px", _status(page)), _status(page)
        page.locator("#results").wait_for()
        assert re.fullmatch(r"PNG 내려받기 · 96×72 px · \d+ kB", page.locator("#download").inner_text())
        assert page.locator("#run").inner_text().strip() == "그리기"
        assert not _english(page), _english(page)
        _shot(page, f"ko-{screen}-5-done")


def test_an_english_owners_link_opened_by_a_korean_stranger_reads_in_korean_and_back(browser, tmp_path):
    with serve(tmp_path) as app:
        owner = _in(browser, app, "en-US", "desktop")
        owner.locator("#examples img").first.click()
        owner.locator("#gallery img[alt^='The Scream']").click()
        owner.wait_for_function("document.querySelector('#chosen').innerText.includes('The Scream')")
        owner.get_by_text("More options").click()
        _set_size_and_steps(owner, 96, 4, "96×72 px")
        owner.locator("#run").click()
        _until_status(owner, "Done in")
        assert not re.search(r"[가-힣]", owner.evaluate(SEEN))  # the American page has no Korean in it
        with owner.expect_response(lambda r: "/gradio_api/deep_link" in r.url) as answer:
            owner.locator(".share-link").first.click()
        owner.locator("#shared-line").wait_for()
        assert owner.locator("#shared-line").inner_text().startswith("Link copied.")
        link = f"{app.url}?deep_link={answer.value.json()}"
        for screen in SIZES:
            width, height = SIZES[screen]
            stranger = browser.new_context(locale="ko-KR", viewport={"width": width, "height": height}).new_page()
            stranger.goto(link)
            stranger.locator("#out img").wait_for()
            _until_status(stranger, "만에 완성", timeout=15_000)  # the owner's "Done in …", said again in Korean
            assert re.fullmatch(r"\d+초 만에 완성 · 96×72 px", _status(stranger)), _status(stranger)
            assert stranger.locator("#chosen").inner_text() == "절규 — 에드바르 뭉크, 1893년"
            stranger.wait_for_function("document.querySelector('#download').innerText.startsWith('PNG 내려받기')")
            assert re.fullmatch(r"PNG 내려받기 · 96×72 px · \d+ kB", stranger.locator("#download").inner_text())
            outlined = stranger.locator("#gallery .thumbnail-item.selected img")
            assert outlined.count() == 1 and outlined.first.get_attribute("alt") == "절규"
            stranger.wait_for_timeout(1000)
            assert not _english(stranger), _english(stranger)
            _shot(stranger, f"ko-{screen}-shared-link")
        # Stop sharing (the owner's, in English); the ended link's page in the Korean stranger's words.
        owner.locator("#unshare").click()
        owner.wait_for_function("document.querySelector('#shared-line').innerText.includes('Stopped sharing')")
        ended = browser.new_context(locale="ko-KR").new_page()
        assert ended.goto(link).status == 410
        assert ended.locator("h1").inner_text() == "더 이상 공유되지 않는 그림이에요"
        assert ended.locator("html").get_attribute("lang") == "ko"
        assert ended.goto(f"{app.url}?deep_link=NoSuchLink42").status == 404
        assert ended.locator("h1").inner_text() == "여기서 모르는 링크예요"
        # The API answers in English whatever the client's language: a refusal names its parameter.
        client = Client(app.url, headers={"Accept-Language": "ko-KR,ko;q=0.9"}, verbose=False)
        with pytest.raises(Exception, match="style_strength: must be between 1 and 100, but got 500"):
            client.predict(content=handle_file(TUBINGEN), style_strength=500, api_name="/stylize")


def test_korean_chosen_in_gradios_settings_is_what_the_server_says_too(browser, tmp_path):
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (8, 8), "white").save(tiny)
    with serve(tmp_path) as app:
        page = _in(browser, app, "en-US", "desktop")
        assert page.locator("#run").inner_text() == "Paint"
        page.locator("footer").get_by_text("Settings").click()
        page.get_by_role("combobox").click()  # Gradio's Language, the one choice of its kind there
        page.get_by_role("option", name="한국어").click()
        page.keyboard.press("Escape")
        page.wait_for_function("document.querySelector('#run').innerText === '그리기'")
        _upload(page, "content", tiny)
        page.locator("#photo-problem").wait_for()
        assert page.locator("#photo-problem").inner_text().startswith("⚠️ 그릴 수 없는 사진이에요")
