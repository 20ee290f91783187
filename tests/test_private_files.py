"""private_files.PrivateFiles on a stand-in app: cookies, ownership, public files."""

import json

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ui.private_files import COOKIE, PrivateFiles


def _app(tmp_path):
    mine, public = tmp_path / "mine.png", tmp_path / "gallery.png"
    mine.write_bytes(b"mine")
    public.write_bytes(b"gallery")

    async def upload(request):
        return JSONResponse([str(mine), str(public)])

    async def file(request):
        return PlainTextResponse("served")

    routes = [Route("/gradio_api/upload", upload, methods=["POST"]), Route("/gradio_api/file={p:path}", file)]
    config = {"components": [{"props": {"value": {"path": str(public), "url": "x"}}}]}
    app = Starlette(routes=routes, middleware=[Middleware(PrivateFiles, public_config=lambda: config)])
    return app, mine, public


def test_cookie_is_set_once_and_suits_the_scheme(tmp_path):
    app, _, _ = _app(tmp_path)
    client = TestClient(app)
    first = client.get("/gradio_api/file=/nothing")
    assert "samesite=lax" in first.headers["set-cookie"].lower() and "httponly" in first.headers["set-cookie"].lower()
    assert "set-cookie" not in client.get("/gradio_api/file=/nothing").headers  # the client sent it back
    proxied = TestClient(app).get("/gradio_api/file=/nothing", headers={"x-forwarded-proto": "https"})
    assert "SameSite=None; Secure; Partitioned" in proxied.headers["set-cookie"]  # a Space's iframe
    odd = TestClient(app).get("/gradio_api/file=/nothing", headers={"cookie": 'a="\\x; ' + COOKIE + "=;"})
    assert odd.status_code == 200 and COOKIE in odd.headers["set-cookie"]  # a malformed header: a new session


def test_an_upload_is_its_sessions_and_config_files_stay_public(tmp_path):
    app, mine, public = _app(tmp_path)
    owner, other = TestClient(app), TestClient(app)
    owner.get("/gradio_api/file=/nothing")
    other.get("/gradio_api/file=/nothing")
    owner.post("/gradio_api/upload")
    assert owner.get(f"/gradio_api/file={mine}").text == "served"
    assert other.get(f"/gradio_api/file={mine}").status_code == 403
    assert other.get(f"/gradio_api/file={tmp_path}/%2E%2E/{tmp_path.name}/mine.png").status_code == 403  # same file, other spelling
    assert other.get(f"/gradio_api/file={public}").text == "served"


def _sharing_app(tmp_path):
    """A stand-in for Gradio's upload, queue/join and deep_link routes, saving a page like Gradio's."""
    upload_dir = tmp_path / "gradio"
    (upload_dir / "deep_links" / "L1nk_-x").mkdir(parents=True)
    photo, painting, own, other = (upload_dir / f"{n}.png" for n in ("photo", "painting", "own", "other"))
    for path in (photo, painting, own, other):
        path.write_bytes(path.name.encode())
    state = [
        {"id": 5, "props": {"elem_id": "content", "value": {"path": str(photo), "url": "/gradio_api/file=" + str(photo)}}},
        {"id": 12, "props": {"elem_id": "style_upload", "value": {"path": str(own), "url": "x"}}},
        {"id": 35, "props": {"elem_id": "out", "value": {"path": str(painting), "url": None, "meta": {}}}},
        {"id": 40, "props": {"elem_id": "download", "value": {"path": "/elsewhere/x.png", "url": None, "meta": {}}}},
        {"id": 54, "props": {"elem_id": "out", "value": {"path": str(other), "url": "y"}}},  # a stray copy
    ]
    config = {"components": [{"id": i, "props": {}} for i in (5, 12, 35, 40)]}

    async def upload(request):
        return JSONResponse([str(p) for p in (photo, painting, own, other)])

    async def join(request):
        return JSONResponse({"event_id": "e"})

    async def deep_link(request):
        (upload_dir / "deep_links" / "L1nk_-x" / "state.json").write_text(json.dumps(state))
        return JSONResponse("L1nk_-x")

    async def file(request):
        return PlainTextResponse("served")

    routes = [Route("/gradio_api/upload", upload, methods=["POST"]), Route("/gradio_api/queue/join", join, methods=["POST"]),
              Route("/gradio_api/deep_link", deep_link), Route("/gradio_api/file={p:path}", file)]
    middleware = Middleware(PrivateFiles, public_config=lambda: config, upload_dir=lambda: str(upload_dir),
                            private_in_links=frozenset({"style_upload"}))
    return Starlette(routes=routes, middleware=[middleware]), upload_dir, (photo, painting, own, other)


def test_a_share_link_publishes_the_painting_and_photo_only(tmp_path):
    app, upload_dir, (photo, painting, own, other) = _sharing_app(tmp_path)
    owner, stranger = TestClient(app), TestClient(app)
    owner.get("/gradio_api/file=/nothing")
    stranger.get("/gradio_api/file=/nothing")
    owner.post("/gradio_api/upload")
    owner.post("/gradio_api/queue/join", json={"session_hash": "page-of-owner", "data": []})
    assert stranger.get("/gradio_api/deep_link?session_hash=page-of-owner").status_code == 403  # not theirs to share
    assert all(stranger.get(f"/gradio_api/file={p}").status_code == 403 for p in (photo, painting, own, other))
    assert owner.get("/gradio_api/deep_link?session_hash=page-of-owner").json() == "L1nk_-x"
    assert stranger.get(f"/gradio_api/file={photo}").text == "served"
    assert stranger.get(f"/gradio_api/file={painting}").text == "served"
    assert stranger.get(f"/gradio_api/file={own}").status_code == 403  # the owner's own style image
    assert stranger.get(f"/gradio_api/file={other}").status_code == 403  # not on the saved page
    saved = {c["id"]: c["props"].get("value") for c in json.loads((upload_dir / "deep_links" / "L1nk_-x" / "state.json").read_text())}
    assert set(saved) == {5, 12, 35, 40} and saved[12] is None and saved[40] is None  # nothing unservable left
    assert saved[35]["url"] == f"/gradio_api/file={painting}"  # the page can show it
