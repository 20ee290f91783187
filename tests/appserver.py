"""Start the real app (``python app.py``) on a free loopback port for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class AppServer:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def cpu_rate(self, seconds: float) -> float:
        """Cores the server keeps busy over the next ``seconds``."""
        start = self.cpu_seconds()
        time.sleep(seconds)
        return (self.cpu_seconds() - start) / seconds


@contextmanager
def serve(tmp: Path, **env: str):
    """Yield a fresh app server (AppServer); environment overrides in ``env`` (None removes; GRADIO_SERVER_PORT:
    the same address again, as a restarted server has)."""
    port = int(env.get("GRADIO_SERVER_PORT") or _free_port())
    environ = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
               "GRADIO_TEMP_DIR": str(tmp / "gradio"), "DEEPSTYLE_DATA_DIR": str(tmp / "data"),
               "GRADIO_ANALYTICS_ENABLED": "False",
               "PYTHONUNBUFFERED": "1"}
    for key, value in env.items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    log = open(tmp / f"app-{port}.log", "w")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"app did not start: {(tmp / f'app-{port}.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield AppServer(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
