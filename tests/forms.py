"""Reading a served form as a browser would post it back."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_HIDDEN = re.compile(r'<input type="hidden" name="(_version|_base)" value="([^"]*)">')


def edit_state(page: str) -> dict[str, str]:
    """The version and fingerprint an edit form was served with."""
    found = {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}
    assert set(found) == {"_version", "_base"}, "not an edit form"
    return found


class _Form(HTMLParser):
    """The successful controls of the page's `form.form`, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: tuple[str, bool] | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "form" in a.get("class", "").split():
            self._in_form = True
        if not self._in_form or "name" not in a and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected] or [self._options[0][0]]
            self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the newline right after <textarea> and posts CRLF line breaks.
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self.fields.append((self._textarea, text.replace("\n", "\r\n")))
            self._textarea = None


def form_fields(page: str) -> dict[str, str | list[str]]:
    """The edit form's fields as a browser posts them (repeated names become lists)."""
    parser = _Form()
    parser.feed(page)
    out: dict[str, str | list[str]] = {}
    for name, value in parser.fields:
        if name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = value
    return out
