"""/legacy/: the old monitor is one scheme, host and port. Another host on the same port is
somewhere else: the proxy follows no redirect there and rewrites no link to it.

Two real HTTP servers on one port number, one on 127.0.0.1 (the old monitor) and one on
127.0.0.2 (another host of the loopback network), each recording what it is asked."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from django.test import Client

BASE_PATH = "/server/pandamon/"


class RecordingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], pages: dict[str, tuple[int, dict[str, str], str]]) -> None:
        super().__init__(address, PageHandler)
        self.pages = pages  # path and query -> (status, headers, body)
        self.requests: list[str] = []


class PageHandler(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        status, headers, body = self.server.pages.get(self.path, (404, {}, "<h1>Not Found</h1>"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(server: RecordingServer) -> RecordingServer:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def two_hosts() -> Iterator[tuple[RecordingServer, RecordingServer]]:
    """(the old monitor on 127.0.0.1:port, another host on 127.0.0.2:port)."""
    old = RecordingServer(("127.0.0.1", 0), {})
    port = old.server_address[1]
    other_url = f"http://127.0.0.2:{port}{BASE_PATH}"
    old.pages.update(
        {
            f"{BASE_PATH}query?dash=elsewhere": (302, {"Location": f"{other_url}query?dash=clouds"}, ""),
            f"{BASE_PATH}query?dash=links": (
                200,
                {},
                f"<html><head><title>Links</title></head><body>"
                f'<a href="{other_url}query?dash=clouds">on another host</a>'
                f'<a href="http://127.0.0.1:{port}{BASE_PATH}query?dash=clouds">on the old monitor</a>'
                f'<img src="{other_url}query?plot=jobs" alt="plot elsewhere">'
                f'<form action="{other_url}query" method="get"><input type="text" name="job"></form>'
                f"</body></html>",
            ),
        }
    )
    other = RecordingServer(("127.0.0.2", port), {f"{BASE_PATH}query?dash=clouds": (200, {}, "<title>Clouds elsewhere</title><p>elsewhere</p>")})
    _serve(old)
    _serve(other)
    yield old, other
    for server in (old, other):
        server.shutdown()
        server.server_close()


@pytest.fixture
def hosts(two_hosts: tuple[RecordingServer, RecordingServer], pandjango_config: Callable[[str, Any], None]) -> tuple[RecordingServer, RecordingServer]:
    old, other = two_hosts
    pandjango_config("legacy.base_url", f"http://127.0.0.1:{old.server_address[1]}{BASE_PATH}")
    pandjango_config("legacy.allowed_prefixes", ["query"])
    pandjango_config("legacy.cache_lifetime", 0)
    old.requests.clear()
    other.requests.clear()
    return old, other


def test_both_hosts_listen_on_the_same_port(hosts: tuple[RecordingServer, RecordingServer]) -> None:
    old, other = hosts
    assert old.server_address[1] == other.server_address[1]
    assert (old.server_address[0], other.server_address[0]) == ("127.0.0.1", "127.0.0.2")


def test_a_redirect_to_the_same_port_on_another_host_is_not_followed(anon_client: Client, hosts: tuple[RecordingServer, RecordingServer]) -> None:
    old, other = hosts
    response = anon_client.get("/legacy/query?dash=elsewhere", headers={"Accept": "application/json"})
    assert response.status_code == 502, response.content[:300]
    assert orjson.loads(response.content)["error"]["code"] == "legacy_redirect_refused"
    assert old.requests == [f"{BASE_PATH}query?dash=elsewhere"]
    assert other.requests == []


def test_a_link_to_the_same_port_on_another_host_is_left_as_a_foreign_link(anon_client: Client, hosts: tuple[RecordingServer, RecordingServer]) -> None:
    old, other = hosts
    port = old.server_address[1]
    response = anon_client.get("/legacy/query?dash=links")
    assert response.status_code == 200
    body = str(response.context["page"].body)
    assert f'<a href="http://127.0.0.2:{port}{BASE_PATH}query?dash=clouds" rel="noopener noreferrer">on another host</a>' in body
    assert '<a href="/legacy/query?dash=clouds" rel="noopener noreferrer">on the old monitor</a>' in body
    assert '<img alt="plot elsewhere">' in body  # the browser would fetch it from the other host
    assert '<form method="get">' in body  # nor would it submit there
    assert body.count("127.0.0.2") == 1  # only the link, as it was
    assert other.requests == []
