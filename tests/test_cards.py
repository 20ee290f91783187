"""A shared link's card (ui/cards.py), as a chat app or a social site fetches it: no cookie, no script. On a
stand-in for Gradio's routes here; the real server's links in test_browser.py (a painting) and test_video_page.py."""

import html
import io
import json
import re

import numpy as np
from PIL import Image
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from conftest import photo
from style_core import ClipWriter, save_png
from ui.private_files import Files, PrivateFiles
from ui.records import Records
from ui.visitors import COOKIE, key

# Gradio's template carries its own card (its name, its header image), twice over: ours replaces it.
PAGE = """<!doctype html><html><head><meta charset="utf-8" />
<meta property="og:title" content="Gradio" />
<meta
    property="og:image"
    content="https://raw.githubusercontent.com/gradio-app/gradio/main/header-image.jpg"
/>
<meta name="twitter:creator" content="@Gradio" /><title>DeepStyle</title></head><body><div id=app></div></body></html>"""


def _meta(page: str) -> dict[str, str]:
    """The page's meta tags by name, their values as a crawler reads them."""
    return {name: html.unescape(value) for name, value in re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', page)}


def _cards_app(tmp_path, results: dict[str, str | None]):
    """Gradio's page, upload and deep_link routes in small: each page (a session) saves a state whose download
    holds ``results[page]``, under the link named after it."""
    upload_dir = tmp_path / "gradio"

    async def deep_link(request):
        page = request.query_params["session_hash"]
        result = results[page]
        value = {"path": result, "url": None, "meta": {"_type": "gradio.FileData"}} if result else None
        state = [{"id": 1, "props": {"elem_id": "out", "value": None}},
                 {"id": 2, "props": {"elem_id": "download", "value": value}}]
        folder = upload_dir / "deep_links" / f"L-{page}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "state.json").write_text(json.dumps(state))
        return JSONResponse(f"L-{page}")

    async def upload(request):
        return JSONResponse([r for r in results.values() if r])

    routes = [Route("/", lambda request: HTMLResponse(PAGE)), Route("/gradio_api/deep_link", deep_link),
              Route("/gradio_api/upload", upload, methods=["POST"])]
    records = Records(tmp_path / "data", keep_hours=24, share_days=30)
    files = Files(records, lambda: {"components": [{"id": 1, "props": {}}, {"id": 2, "props": {}}]},
                  lambda: str(upload_dir))
    app = Starlette(routes=routes, middleware=[Middleware(PrivateFiles, files=files)])
    owner = TestClient(app)
    owner.get("/")  # the owner's cookie
    owner.post("/gradio_api/upload")  # the results are the owner's
    links = {}
    for page in results:
        files.bind(page, key(owner.cookies[COOKIE]))  # as an event of the owner's page does
        answer = owner.get(f"/gradio_api/deep_link?session_hash={page}")
        assert answer.status_code == 200, answer.text
        links[page] = answer.json()
    return app, owner, records, links


def _painted_results(tmp_path) -> dict[str, str | None]:
    (tmp_path / "gradio").mkdir()
    big = Image.new("RGB", (2400, 1600), (200, 40, 30))
    painting = save_png(big, tmp_path / "gradio" / "deepstyle-2400x1600.png",
                        {"deepstyle": json.dumps({"styles": ["starry-night"], "size": 2400})})
    own = save_png(photo(96, 72), tmp_path / "gradio" / "deepstyle-96x72.png",
                   {"deepstyle": json.dumps({"styles": ["your own painting"]})})
    clip = tmp_path / "gradio" / "deepstyle-96x72.mp4"
    with ClipWriter(clip, (96, 72), 12, metadata={"styles": ["the-scream"]}) as writer:
        for colour in ((20, 60, 220), (220, 200, 20), (220, 200, 20)):
            writer.write(Image.new("RGB", (96, 72), colour))
    return {"painting": str(painting), "own": str(own), "clip": str(clip), "nothing": None}


def test_a_links_page_names_its_painting_and_its_picture_to_anyone_until_it_ends(tmp_path):
    app, owner, records, links = _cards_app(tmp_path, _painted_results(tmp_path))
    crawler = TestClient(app)  # no cookie, no script
    page = crawler.get(f"/?deep_link={links['painting']}")
    tags = _meta(page.text)
    assert page.status_code == 200 and page.text.endswith("</head><body><div id=app></div></body></html>")
    assert page.text.count("og:title") == 1 and "Gradio" not in page.text and "<title>DeepStyle</title>" in page.text
    assert tags["og:title"] == tags["twitter:title"] == "A photo painted as Vincent van Gogh's The Starry Night"
    assert "Gatys, Ecker and Bethge" in tags["og:description"] and tags["twitter:card"] == "summary_large_image"
    assert tags["og:url"] == f"http://testserver/?deep_link={links['painting']}"
    assert tags["og:image"] == tags["twitter:image"] == f"http://testserver/card/{links['painting']}.jpg"
    picture = crawler.get(tags["og:image"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    card = Image.open(io.BytesIO(picture.content))
    assert card.format == "JPEG" and card.size == (1200, 800) == (int(tags["og:image:width"]), int(tags["og:image:height"]))
    assert np.abs(np.asarray(card, float).mean((0, 1)) - (200, 40, 30)).max() < 4  # the painting, not another
    head = crawler.head(tags["og:image"])
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(picture.content))
    # In the language the crawler asks for; the page a person opens is the page, with the card in its head.
    korean = _meta(crawler.get(f"/?deep_link={links['painting']}", headers={"accept": "text/html", "accept-language": "ko-KR,ko"}).text)
    assert korean["og:title"] == "빈센트 반 고흐의 〈별이 빛나는 밤〉 화풍으로 그린 사진"
    home = _meta(TestClient(app).get("/").text)  # the page itself: DeepStyle's own card, no link's picture
    assert home["og:title"] == "DeepStyle: a master's painting in 30 seconds" and "og:image" not in home
    assert home["og:url"] == "http://testserver/" and "twitter:creator" not in home
    # Once the link is withdrawn, its page and its picture say so.
    assert records.withdraw(key(owner.cookies[COOKIE]), "painting") == 1
    assert crawler.get(f"/?deep_link={links['painting']}", headers={"accept": "text/html"}).status_code == 410
    gone = crawler.get(tags["og:image"])
    assert gone.status_code == 410 and gone.text == "Its owner has stopped sharing it."


def test_a_clips_card_is_its_first_painted_frame_and_a_page_without_a_result_has_no_picture(tmp_path):
    app, _owner, _records, links = _cards_app(tmp_path, _painted_results(tmp_path))
    crawler = TestClient(app)
    clip = _meta(crawler.get(f"/?deep_link={links['clip']}").text)
    assert clip["og:title"] == "A clip painted as Edvard Munch's The Scream"
    frame = Image.open(io.BytesIO(crawler.get(clip["og:image"]).content))
    assert frame.size == (96, 72) and np.abs(np.asarray(frame, float).mean((0, 1)) - (20, 60, 220)).max() < 12
    own = _meta(crawler.get(f"/?deep_link={links['own']}").text)
    assert own["og:title"] == "A photo painted in the style of a painting its maker chose"  # not ours to name
    assert crawler.get(own["og:image"]).status_code == 200
    nothing = _meta(crawler.get(f"/?deep_link={links['nothing']}").text)
    assert nothing["og:title"] == "A painting made with DeepStyle" and "og:image" not in nothing
    assert nothing["twitter:card"] == "summary"
    none = crawler.get(f"/card/{links['nothing']}.jpg")
    assert none.status_code == 404 and none.text == "This link's page has no painting to show."
    for path in ("/card/NoSuchLink.jpg", "/card/..%2Fdata.jpg", f"/card/{links['clip']}.png", "/card/"):
        assert crawler.get(path).status_code == 404, path
    kept = tmp_path / "data" / "links" / links["clip"]
    assert sorted(p.name for p in kept.iterdir()) == ["0-deepstyle-96x72.mp4", "card.jpg", "card.json", "state.json"]


def test_all_fours_card_names_the_figure(tmp_path):
    from style_core.all_four import FIGURE
    from ui import cards, words

    (tmp_path / "gradio").mkdir()
    figure = save_png(Image.new("RGB", (1570, 900), (20, 60, 160)), tmp_path / "gradio" / "deepstyle-all-four-1570x900.png",
                      {"deepstyle": json.dumps({"styles": list(FIGURE), "all": True})})
    folder = tmp_path / "link"
    folder.mkdir()
    (folder / figure.name).write_bytes(figure.read_bytes())
    cards.make(folder, [{"props": {"elem_id": "download", "value": {"path": str(figure)}}}])
    tags = _meta(cards.tags("http://testserver/", folder, "L-all"))
    assert tags["og:title"] == "A photo painted as all four masterpieces of Gatys et al.'s Figure 2"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "688")  # the figure, at most 1200 px
    with words.use("ko"):
        assert _meta(cards.tags("http://testserver/", folder, "L-all"))["og:title"].startswith("Gatys 등의 그림 2처럼")
