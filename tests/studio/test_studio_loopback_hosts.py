"""The single-user studio answers at the address it prints, on any loopback address (a14: ``--host 127.0.0.2``).

``leadex-mail studio --host 127.0.0.2`` serves without accounts (127.0.0.0/8
is loopback) and printed ``http://127.0.0.2:PORT/``, which answered
"Invalid host header": the Host check knew only 127.0.0.1 and localhost.
Names that are not loopback are still refused (DNS rebinding).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from leadex_mail.studio.app import served_hosts
from leadex_mail.studio.server import make_server
from studio.studio_helpers import ISSUE, copy_newsletters, studio_settings


@pytest.mark.parametrize("host", ["127.0.0.2", "127.1.2.3"])
def test_the_address_the_studio_prints_answers(tmp_path: Path, host: str) -> None:
    copy_newsletters(tmp_path, ISSUE)
    server = make_server(studio_settings(tmp_path), host=host, port=0, watch=False)
    thread = server.start_in_thread()
    try:
        assert server.url.startswith(f"http://{host}:")
        with httpx.Client(base_url=server.url) as client:
            page = client.get("/")
            assert page.status_code == 200, page.text
            assert ISSUE in page.text
            assert client.get("/", headers={"Host": "studio.attacker.example"}).status_code == 400
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_an_ipv6_loopback_is_answered_by_its_written_name() -> None:
    assert {"::1", "[::1]"} <= set(served_hosts("::1"))
    assert {"0:0:0:0:0:0:0:1", "[0:0:0:0:0:0:0:1]"} <= set(served_hosts("[0:0:0:0:0:0:0:1]"))
    assert "studio.attacker.example" not in served_hosts("127.0.0.2")
