"""The practice dispatcher's words: stored as what was said, read in the viewer's language.

A line is either a sentence of ours, ``{"msgid": "…", "vars": {…}}`` (the Japanese msgid of the
catalogue, translated when it is shown), or bilingual data, ``{"pair": [ja, en]}`` (a question
of questions.json). A variable is data as written, a number, or a ``[ja, en]`` pair.
"""
from flask import has_request_context
from flask_babel import gettext

from ..i18n import pick


def say(msgid, **variables):
    """One line of ours; ``msgid`` is marked ``N_`` where it is written, for the catalogue."""
    return {"msgid": msgid, "vars": variables}


def pair(japanese, english):
    """One line of data written in both languages."""
    return {"pair": [japanese, english]}


def japanese(lines):
    """The lines as the Japanese record keeps them."""
    return "\n".join(_line(line, lambda value: value[0], lambda msgid: msgid) for line in lines)


def read(lines):
    """The lines in the language of the page being answered (Japanese outside a request)."""
    if not has_request_context():
        return japanese(lines)
    return "\n".join(_line(line, pick, gettext) for line in lines)


def _line(line, choose, translate):
    if "pair" in line:
        return choose(line["pair"])
    values = {name: choose(value) if isinstance(value, list) else value for name, value in line["vars"].items()}
    return translate(line["msgid"]) % values if values else translate(line["msgid"])
