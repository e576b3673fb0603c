"""HTML mail to plain text with BeautifulSoup, keeping quotes and signatures recognisable.

Blockquotes come out as ``> `` lines and known signature containers after a
``-- `` line, so the same plain-text rules strip them for HTML and text mail.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

_BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    }
)
_SKIP = frozenset(["head", "script", "style", "title", "template", "noscript"])
_SIGNATURE_CLASSES = frozenset({"moz-signature", "gmail_signature", "signature"})
_QUOTE_CLASSES = frozenset({"yahoo_quoted"})
_SPACES = re.compile(r"\s+")


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, one line per block."""
    soup = BeautifulSoup(html, "html.parser")
    lines: list[str] = []
    _Renderer(lines).render(soup)
    text = "\n".join(line.rstrip() for line in "".join(lines).split("\n"))
    return text.replace("\xa0", " ").strip("\n")


class _Renderer:
    def __init__(self, out: list[str]) -> None:
        self.out = out

    def _newline(self) -> None:
        if self.out and not self.out[-1].endswith("\n"):
            self.out.append("\n")

    def render(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                self._text(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            self._tag(child)

    def _text(self, raw: str) -> None:
        # HTML collapses runs of white space, line breaks in the source included.
        text = _SPACES.sub(" ", raw)
        at_line_start = not self.out or self.out[-1].endswith("\n")
        if at_line_start:
            text = text.lstrip(" ")
        elif text.startswith(" ") and self.out[-1].endswith(" "):
            text = text[1:]
        if text:
            self.out.append(text)

    def _tag(self, tag: Tag) -> None:
        name = tag.name.lower()
        classes = set(tag.get_attribute_list("class") or [])
        if name in _SKIP:
            return
        if name == "br":
            self.out.append("\n")
            return
        if name == "blockquote" or classes & _QUOTE_CLASSES:
            self._newline()
            inner: list[str] = []
            _Renderer(inner).render(tag)
            body = "".join(inner).strip("\n")
            self.out.append("\n".join("> " + ln if ln else ">" for ln in body.split("\n")))
            self.out.append("\n")
            return
        if classes & _SIGNATURE_CLASSES:
            self._newline()
            self.out.append("-- \n")
        block = name in _BLOCK
        if block:
            self._newline()
        self.render(tag)
        if block:
            self._newline()
            if name == "p":
                self.out.append("\n")
