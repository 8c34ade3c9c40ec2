"""Access: a token makes every call need it; without one the server only listens on localhost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.api.conftest import running_server
from tests.conftest import ROOT


def test_with_a_token_every_call_needs_it(bundled_build):
    record = {"customer_id": 1, "recency_days": 10, "frequency": 2, "monetary": 300.0}
    with running_server(bundled_build, token="s3cret-token") as server:
        assert server.post("/v1/score/invoices", json={"records": [record]}).status_code == 200
        anonymous = server.client.post("/v1/score/invoices", json={"records": [record]}, headers={"Authorization": ""})
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
        wrong = server.client.get("/health", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        assert server.client.get("/v1/personas/customers", headers={"Authorization": ""}).status_code == 401


def test_without_a_token_it_refuses_to_listen_beyond_localhost(bundled_build):
    env = {k: v for k, v in bundled_build.env().items() if k != "SMARTCART_API_TOKEN"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "smartcart"), "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SMARTCART_API_TOKEN" in result.stderr and "0.0.0.0" in result.stderr
