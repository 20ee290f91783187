"""private_files.PrivateFiles on a stand-in app: cookies, ownership, public files."""

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
