"""Telegram's HTML parse mode as the fake server parses it (no server needed)."""

from __future__ import annotations

import html

import pytest

from fakegram.html import HtmlParseError, parse_html, utf16_len


def test_plain_text_and_entities() -> None:
    parsed = parse_html('<b>Bold</b> and <i>it</i> <a href="https://x.org/?a=1&amp;b=2">link</a>')
    assert parsed.text == "Bold and it link"
    assert parsed.entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 9, "length": 2},
        {"type": "text_link", "offset": 12, "length": 4, "url": "https://x.org/?a=1&b=2"},
    ]


def test_entities_decoded_and_offsets_in_utf16() -> None:
    parsed = parse_html("😀 &lt;tag&gt; &amp; &quot;q&quot; &#65;&#x42; <u>x</u>")
    assert parsed.text == '😀 <tag> & "q" AB x'
    # the emoji is two UTF-16 code units, so "x" sits at 18, not 17
    assert parsed.entities == [{"type": "underline", "offset": 18, "length": 1}]
    assert utf16_len("😀") == 2


def test_pre_with_language_spoiler_blockquote() -> None:
    parsed = parse_html(
        '<pre><code class="language-python">x = 1</code></pre>'
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        "<blockquote expandable>q</blockquote>"
    )
    assert parsed.text == "x = 1stq"
    assert parsed.entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "spoiler", "offset": 5, "length": 1},
        {"type": "spoiler", "offset": 6, "length": 1},
        {"type": "expandable_blockquote", "offset": 7, "length": 1},
    ]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("Hello <script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 6'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("AT&T", 'Character "&" at byte offset 2 must be escaped as "&amp;"'),
        ("a&nbsp;b", 'Character "&" at byte offset 1 must be escaped as "&amp;"'),
        ("é<x>", 'Unsupported start tag "x" at byte offset 2'),  # offsets are in bytes
    ],
)
def test_refusals_in_telegrams_words(source: str, error: str) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(source)
    assert str(caught.value) == error


def test_lenient_mode_keeps_bare_ampersand_like_telegram() -> None:
    assert parse_html("AT&T", strict=False).text == "AT&T"


def test_escaped_user_text_round_trips() -> None:
    nasty = "<script>&amp; \"quotes\" 'single' & 5 > 3 < 4"
    parsed = parse_html(f"<b>{html.escape(nasty)}</b>")
    assert parsed.text == nasty
    assert parsed.entities == [{"type": "bold", "offset": 0, "length": utf16_len(nasty)}]
