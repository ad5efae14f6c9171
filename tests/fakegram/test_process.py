"""``python -m fakegram`` as the demo and benchmarks start it: READY line, then serving."""

from __future__ import annotations

import subprocess
import sys
from types import TracebackType

import httpx

from tests.fakegram.conftest import TOKEN


class FakeApiProcess:
    """Runs the fake server as a child process until the ``with`` block ends."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FakeApiProcess:
        command = [sys.executable, "-m", "fakegram", "--token", TOKEN, "--port", "0"]
        self._process = subprocess.Popen([*command, *self.args], stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("READY "):
            self._process.kill()
            raise RuntimeError(f"fake API did not start: {line!r}")
        self.base_url = line.removeprefix("READY ")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()


def test_module_prints_ready_and_serves_the_bot_api() -> None:
    with FakeApiProcess("--username", "demo_bot") as process:
        assert process.base_url.startswith("http://127.0.0.1:")
        me = httpx.get(f"{process.base_url}/bot{TOKEN}/getMe").json()
        assert me["ok"] is True and me["result"]["username"] == "demo_bot"
        wrong = httpx.get(f"{process.base_url}/botWRONG/getMe")
        assert wrong.status_code == 401
        assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        assert process.returncode is None
    assert process.returncode == 0  # SIGTERM ends it cleanly
