"""Deciding between a whole page and its fragment (the only place that does)."""
from flask import make_response, render_template, request


def render_page(page, fragment=None, status=200, **context):
    """Render ``page``, or only ``fragment`` for a (non-boosted) htmx request.

    Both templates render the same fragment file, so there is one copy of the
    markup; ``Vary`` keeps caches from serving one where the other was asked for.
    """
    partial = fragment is not None and request.htmx and not request.htmx.boosted
    response = make_response(render_template(fragment if partial else page, **context), status)
    response.vary.add("HX-Request")
    return response
