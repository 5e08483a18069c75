"""The release status page's renderer (`release.tasks.page`, issue 18): escaping of every text
from git and GitHub, the states, overdue marking, the milestones section, and a well-formed
document and SVG (parsed with xml.etree)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from release.tasks.page import _ticks, render, render_chart
from tests.unit.core.test_page_model import DAY, HISTORY, T0, model, tags

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)> & \"q\""


def parse(doc: str) -> ET.Element:
    """The page as XML: it is well-formed (void elements closed, no named entity but XML's)."""
    assert doc.startswith("<!DOCTYPE html>\n")
    return ET.fromstring(doc[len("<!DOCTYPE html>\n") :])


def text_of(root: ET.Element) -> str:
    return " ".join(" ".join(root.itertext()).split())


def tag_names(root: ET.Element) -> set[str]:
    return {el.tag.split("}")[-1] for el in root.iter()}


def demo(**kw: Any) -> dict[str, Any]:
    return model(
        tags(*HISTORY),
        T0 + 52 * DAY,
        {"supported_lines": 3, "eol_lines": ["0.2"]},
        branches=("release-0.4.x", "release-0.5.x", "release-0.6.x"),
        **kw,
    )


def milestones(*items: dict[str, Any], error: str | None = None) -> dict[str, Any]:
    return {"configured": True, "repository": "acme/widgets", "error": error, "items": list(items)}


def test_the_page_is_one_well_formed_document_without_script_or_external_asset():
    doc = render(demo())
    root = parse(doc)
    names = tag_names(root)
    assert {"html", "head", "style", "body", "table", "svg"} <= names
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}
    assert not re.search(r"\b(src|href)=\"(?!https?://)", doc)  # no asset, no relative link
    assert "@import" not in doc and "url(" not in doc
    assert doc.count("<svg") == 1


def test_states_of_the_lines_and_their_texts():
    root = parse(render(demo()))
    rows = {tr.get("id"): tr for tr in root.iter("tr") if (tr.get("id") or "").startswith("line-")}
    assert list(rows) == [f"line-0.{n}" for n in (6, 5, 4, 3, 2, 1)]
    pills = {k: tr.find(".//span[@class]") for k, tr in rows.items()}
    assert {k: p.get("class") for k, p in pills.items()} == {
        "line-0.6": "pill state-unreleased",
        "line-0.5": "pill state-rc",
        "line-0.4": "pill state-supported",
        "line-0.3": "pill state-supported",
        "line-0.2": "pill state-eol",
        "line-0.1": "pill state-eol",
    }
    assert pills["line-0.5"].text.startswith("RC window open until 2026-") and pills[
        "line-0.5"
    ].text.endswith(" UTC")
    text = text_of(root)
    for expected in ("v0.3.1", "v0.3.0rc1", "release-0.4.x", "end of life", "Lifecycle"):
        assert expected in text


def test_overdue_rows_are_marked_and_only_they():
    ts = tags(("v0.1.0rc1", 0), ("v0.1.0", 8), ("v0.1.1", 9))
    late = parse(render(model(ts, T0 + 20 * DAY)))
    rows = {tr.get("id"): tr for tr in late.iter("tr") if (tr.get("id") or "").startswith("due-")}
    assert rows["due-patch-0.1"].get("class") == "overdue"
    assert "OVERDUE" in text_of(rows["due-patch-0.1"])
    assert rows["due-minor"].get("class") is None and "OVERDUE" not in text_of(rows["due-minor"])
    assert "Overdue: patch 0.1" in text_of(late)
    on_time = parse(render(model(ts, T0 + 10 * DAY)))
    assert "OVERDUE" not in text_of(on_time) and "Nothing is overdue." in text_of(on_time)


@pytest.mark.parametrize(
    "where",
    ["notes", "project", "milestone", "branch-like"],
)
def test_text_from_git_or_github_never_injects_markup(where):
    d = demo(notes={"v0.3.1": f"Release 0.3.1\n\n- {HOSTILE}"})
    if where == "project":
        d["project"] = HOSTILE
    if where == "milestone":
        d["milestones"] = milestones(
            {"title": HOSTILE, "number": 1, "url": "https://github.com/acme/widgets/milestone/1",
             "open_issues": 1, "closed_issues": 3, "due_at": None}
        )  # fmt: skip
    if where == "branch-like":
        d["lines"][0]["branch"] = HOSTILE
        d["lines"][0]["state_text"] = HOSTILE
    doc = render(d)
    root = parse(doc)
    assert not tag_names(root) & {"script", "img"}
    assert HOSTILE in text_of(root)  # shown, as text
    assert "<script>" not in doc and "<img" not in doc
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in doc


def test_a_milestone_link_is_only_ever_http():
    bad = {"title": "0.2.0", "number": 2, "url": "javascript:alert(1)", "open_issues": 0,
           "closed_issues": 0, "due_at": None}  # fmt: skip
    good = {**bad, "title": "0.3.0", "url": 'https://github.com/a/b/milestone/3?x="><b>'}
    root = parse(render(demo(milestones=milestones(bad, good))))
    links = [(a.get("href"), a.text) for a in root.iter("a")]
    assert links == [('https://github.com/a/b/milestone/3?x="><b>', "0.3.0")]
    assert "javascript:" not in render(demo(milestones=milestones(bad)))


def test_the_milestones_section():
    not_configured = text_of(parse(render(demo())))
    assert "GitHub not configured" in not_configured
    failed = text_of(parse(render(demo(milestones=milestones(error="no GitHub token: <x>")))))
    assert "could not be read: no GitHub token: <x>" in failed
    assert "No open milestone" in text_of(parse(render(demo(milestones=milestones()))))
    item = {"title": "0.5.0", "number": 5, "url": None, "open_issues": 1, "closed_issues": 3,
            "due_at": T0 + 60 * DAY}  # fmt: skip
    root = parse(render(demo(milestones=milestones(item))))
    section = next(s for s in root.iter("section") if s.get("id") == "milestones")
    cells = [text_of(td) for td in section.iter("td")]
    assert cells[:4] == ["0.5.0", "1", "3", "2026-07-27"]
    assert section.find(".//div[@class='bar']").get("title") == "75% closed"


def test_the_chart_is_well_formed_svg_with_bars_windows_and_today():
    d = demo()
    svg = ET.fromstring(render_chart(d))
    assert svg.tag == f"{SVG}svg"
    bars = [r for r in svg.iter(f"{SVG}rect") if (r.get("class") or "").startswith("bar ")]
    dated = [r for r in d["lines"] if r["first_release_date"]]
    assert len(bars) == len(dated) == 5  # 0.6 has no release yet: a text, no bar
    assert {b.get("class") for b in bars} == {"bar bar-rc", "bar bar-supported", "bar bar-eol"}
    windows = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "window"]
    assert len(windows) == 2  # the windows of 0.3.0 (closed) and 0.5.0 (open)
    assert any("(open)" in w.find(f"{SVG}title").text for w in windows)
    (today,) = [ln for ln in svg.iter(f"{SVG}line") if ln.get("class") == "today"]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "today 2026-07-19" in texts and "0.1" in texts
    assert "not released yet (branch release-0.6.x is cut)" in texts
    # bars never pass today for a living line; an end-of-life bar ends at its end of life
    x_today = float(today.get("x1"))
    for r, bar in zip(dated, bars, strict=True):
        end = float(bar.get("x")) + float(bar.get("width"))
        if r["state"] == "eol":
            assert end < x_today
        else:
            assert abs(end - x_today) < 0.2


def test_an_empty_history_still_draws_a_chart():
    from release.core.version import TagSet

    d = model(TagSet(), T0)
    svg = ET.fromstring(render_chart(d))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert any(t.startswith("not released yet: in development on main") for t in texts)
    parse(render(d))
    d["lines"] = []
    assert "No release yet" in [t.text for t in ET.fromstring(render_chart(d)).iter(f"{SVG}text")]


@pytest.mark.parametrize("days", [3, 20, 100, 400, 3000])
def test_axis_ticks_are_few_and_ascending(days):
    ticks = _ticks(T0, T0 + days * DAY)
    assert 1 <= len(ticks) <= 13
    assert [t for t, _ in ticks] == sorted(t for t, _ in ticks)
    assert all(T0 <= t < T0 + days * DAY for t, _ in ticks)
