"""A real `smartcart serve` process over HTTP, on the bundled build or on a build of its own."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, Build


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, process: subprocess.Popen, base_url: str, token: str | None):
        self.process, self.base_url = process, base_url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=base_url, headers=headers, timeout=60)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.client.post(path, **kwargs)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.client.get(path, **kwargs)


@contextmanager
def running_server(build: Build, *arguments: str, token: str | None = None) -> Iterator[Server]:
    """`smartcart serve` in its own process on a free port, stopped on exit."""
    port = free_port()
    env = build.env()
    env.pop("SMARTCART_API_TOKEN", None)
    if token:
        env["SMARTCART_API_TOKEN"] = token
    command = [str(Path(sys.executable).parent / "smartcart"), "serve", "--port", str(port), *arguments]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = Server(process, f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server exited: {process.stdout.read()}")
            try:
                if server.get("/health").status_code in (200, 503):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the server did not answer /health within 60 s")
            time.sleep(0.2)
        yield server
    finally:
        server.client.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.stdout:
            process.stdout.close()


@pytest.fixture(scope="module")
def bundled_server(bundled_build: Build) -> Iterator[Server]:
    with running_server(bundled_build) as server:
        yield server


__all__ = ["Server", "running_server"]
