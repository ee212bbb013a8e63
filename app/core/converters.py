"""URL converters: an id in a URL is at most what the database can hold."""
from werkzeug.routing import IntegerConverter

from ..models import LARGEST_ID


class RowId(IntegerConverter):
    """``<int:...>`` everywhere: beyond LARGEST_ID the URL does not match, so a number the
    database would refuse with an error (a 500) gets the plain 404 of any unknown id."""

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def init_converters(app):
    """Before any blueprint registers its routes."""
    app.url_map.converters["int"] = RowId
