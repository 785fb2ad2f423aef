r"""How text read from files is shown: control characters and undecodable bytes as visible
escapes. The one rule for the terminal, ``--json`` documents, ``summary.md`` and plots.

Text from ledgers, plans, trace files and file names may carry terminal control sequences
(``ESC ]`` title changes, ``ESC [2J`` screen clears, BEL, C1 controls, bidi overrides), and
names that are not UTF-8: file names, argv and non-UTF-8 text traces are decoded with
Python's ``surrogateescape`` (byte 0xff becomes the lone surrogate U+DCFF), which no UTF-8
output can hold. Both are shown as the escape a shell's ``$'…'`` quoting or a Python bytes
literal reads back:

* a control character as ``\x1b`` (up to U+00FF) or ``\u202e``;
* an undecodable byte as ``\xff`` (its byte value; so ``$'stage_\xff.npy'`` in a shell names
  the file ``stage_\xff.npy`` shown), and any other lone surrogate as ``\udc41``.

A backslash already in the text is not doubled: the shown form is for reading and for
finding the file, and only these escapes are ever added.
"""

from __future__ import annotations

import re

# C0 controls but \t and \n (and \r only as part of \r\n), DEL, C1 controls, bidi controls,
# lone surrogates (undecodable bytes)
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]|\r(?!\n)"
)
# the same, and every C0 control (tab, newline, carriage return: text kept on one line)
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SGR_OR_CONTROL = re.compile(f"(\x1b\\[[0-9;]*m)|{_CONTROL.pattern}")
# what json.dumps(ensure_ascii=False) leaves raw: DEL, C1, bidi, lone surrogates
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def visible_char(ch: str) -> str:
    r"""One control character or undecodable byte as its visible escape: ``\x1b``,
    ``\u202e``, ``\xff`` (U+DCFF, the byte 0xff decoded with ``surrogateescape``)."""
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _sub(m: re.Match[str]) -> str:
    return visible_char(m.group(0))


def escape_controls(text: str, *, keep_sgr: bool = False, one_line: bool = False) -> str:
    r"""``text`` with control characters and undecodable bytes shown as ``\x1b``/``\u202e``/
    ``\xff`` text. Newlines and tabs are kept unless ``one_line`` (then shown as ``\x0a``,
    ``\x09``); ``keep_sgr`` keeps colour sequences (``ESC [ … m``: our own table colours; a
    hostile one can only recolour text)."""
    if one_line:
        return _CONTROL_LINE.sub(_sub, text)
    if keep_sgr:
        if "\x1b" not in text and not _CONTROL.search(text):
            return text
        return _SGR_OR_CONTROL.sub(lambda m: m.group(1) or visible_char(m.group(0)), text)
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_sub, text)


def _json_sub(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    if 0xD800 <= code <= 0xDFFF:  # not Unicode: the visible form, as JSON string text
        return "\\" + visible_char(m.group(0))
    return f"\\u{code:04x}"


def escape_json_text(text: str) -> str:
    r"""JSON text with the controls ``json.dumps`` leaves raw (DEL, C1, bidi) as ``\uXXXX``
    escapes: the same document, safe to print. Lone surrogates (undecodable bytes), which no
    UTF-8 document can hold, become their visible form: the string holds the 4 characters
    ``\xff`` (written ``\\xff``)."""
    return _JSON_RAW.sub(_json_sub, text)


def quoted(text: str) -> str:
    r"""``'text'`` for a message: on one line, controls and undecodable bytes shown
    (``'ab\xffc'``, where ``repr`` would write ``'ab\udcffc'``)."""
    return f"'{escape_controls(text, one_line=True)}'"
