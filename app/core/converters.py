"""URL converters: what a URL part may be is what the database can take."""
from werkzeug.routing import IntegerConverter, UnicodeConverter

from ..models import LARGEST_ID


class RowId(IntegerConverter):
    """``<int:...>`` everywhere: beyond LARGEST_ID the URL does not match, so a number the
    database would refuse with an error (a 500) gets the plain 404 of any unknown id."""

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


class Text(UnicodeConverter):
    """``<name>`` everywhere: one path part, as Werkzeug's, but never with a NUL (``%00``).
    PostgreSQL refuses a NUL in text, so a case number or token holding one was a 500
    where SQLite gave the 404 of any unknown one; now the URL does not match on either."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)


def init_converters(app):
    """Before any blueprint registers its routes."""
    app.url_map.converters["int"] = RowId
    app.url_map.converters["default"] = app.url_map.converters["string"] = Text
