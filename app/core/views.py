"""Health check."""
from flask import jsonify
from peewee import PeeweeException

from ..extensions import db
from . import bp


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.execute_sql("SELECT 1").fetchone()
    except PeeweeException:
        return jsonify(status="unavailable", database=False), 503
    return jsonify(status="ok", database=True)
