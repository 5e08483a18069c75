"""The adapters' read-only probes of release.doctor: the index a PyPI token was made on (read
from the token, nothing sent) and the login probe of a private index (a POST without a form)."""

from __future__ import annotations

import base64
import io
import urllib.error

import pytest

from release.adapters import pypi


def token(location: bytes | None) -> str:
    """A PyPI-shaped token: macaroon v2 (binary), urlsafe base64 without padding."""
    raw = b"\x02" + (b"\x01" + bytes([len(location)]) + location if location else b"")
    raw += b"\x02\x24" + b"0" * 36 + b"\x00\x00\x06\x20" + b"s" * 32
    return "pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_the_index_a_token_was_made_on():
    assert pypi.token_host(token(b"pypi.org")) == "pypi.org"
    assert pypi.token_host(token(b"test.pypi.org")) == "test.pypi.org"
    assert pypi.token_host(token(None)) is None  # no location field
    assert pypi.token_host("pypi-AgEIcHlwaS5vcmcCJDAw") == "pypi.org"  # how real ones start
    assert pypi.token_host("hunter2") is None
    assert pypi.token_host("pypi-!!!") is None
    assert pypi.token_host("pypi-") is None


class Answer(io.BytesIO):
    def __init__(self, status: int) -> None:
        super().__init__(b"")
        self.status = status


@pytest.mark.parametrize("status", [400, 403, 401, 200])
def test_the_login_probe_posts_nothing_and_reports_the_status(monkeypatch, status):
    seen = []

    def opener(req, timeout):
        seen.append(req)
        if status >= 400:
            raise urllib.error.HTTPError(req.full_url, status, "x", {}, io.BytesIO(b""))
        return Answer(status)

    monkeypatch.setattr(pypi, "_urlopen", opener)
    assert pypi.probe_upload_login("http://idx/", "u", "secret-pw-1") == (status, "")
    (req,) = seen
    assert req.get_method() == "POST" and req.data == b""  # no :action, no file
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(b"u:secret-pw-1").decode()


def test_the_login_probe_of_an_unreachable_index(monkeypatch):
    def opener(req, timeout):
        raise urllib.error.URLError(ConnectionRefusedError("Connection refused"))

    monkeypatch.setattr(pypi, "_urlopen", opener)
    status, why = pypi.probe_upload_login("http://idx/", "u", "p")
    assert status is None and "Connection refused" in why
