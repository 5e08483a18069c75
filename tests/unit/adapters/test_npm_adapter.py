"""What the npm and index adapters read from a failed command's text."""

from __future__ import annotations


def test_not_found_is_npms_code_never_a_number_in_a_port_or_a_log_name():
    """A 403 from a registry on port 40404, logged to a file named ...T09_22_40_404Z-debug: not a
    missing package (that was read as "not published yet" and would publish again)."""
    from release.adapters.npm import _not_found
    from release.adapters.pypi import _http_status

    refused = (
        "npm error code E403\nnpm error 403 403 Forbidden - GET http://127.0.0.1:40404/demo-npm\n"
        "npm error A complete log of this run can be found in: "
        "/root/.npm/_logs/2026-11-30T09_22_40_404Z-debug-0.log\n"
    )
    assert not _not_found(refused)
    assert _not_found("npm error code E404\nnpm error 404 Not Found - GET http://x/demo-npm")
    assert _not_found("npm ERR! 404 Not Found - GET https://registry.npmjs.org/x")
    assert _http_status("ERROR    HTTPError: 403 Forbidden from http://127.0.0.1:40912/") == 403
    assert _http_status("ERROR upload to http://127.0.0.1:40312/ failed: timed out") is None
