"""Fixed SQL for the few statements that run for every chat message.

peewee builds a query's SQL anew on every call, and ``Model.raw`` works out its
column mapping anew: 0.05-0.2 ms for the ledger's wide rows, which was most of
a message's server CPU at hundreds of messages a second. Here the SQL text and
the column mapping are made once and kept, and the rows are the same model
instances peewee would return. Use it only where a profile says so; everywhere
else peewee's query builder reads better.
"""
import datetime
import json

from .database import is_sqlite
from .extensions import db

_ROW_PLANS = {}  # (model, column names) -> [(field name, field.python_value)]
_INSERTS = {}  # (model, field names) -> (SQL with {p}, [field.db_value])


def rows(model, sql, *params):
    """Instances of ``model`` for ``sql`` (``{p}`` stands for the database's placeholder)."""
    cursor = db.execute_sql(sql.format(p=db.param), params)
    key = (model, tuple(column[0] for column in cursor.description))
    plan = _ROW_PLANS.get(key)
    if plan is None:
        fields = model._meta.columns
        plan = _ROW_PLANS[key] = [(fields[name].name, fields[name].python_value) for name in key[1]]
    found = []
    for values in cursor.fetchall():
        row = model(__no_default__=1)
        row.__data__ = {name: convert(value) for (name, convert), value in zip(plan, values)}
        found.append(row)
    return found


def first(model, sql, *params):
    """The first instance ``rows`` finds, or None."""
    found = rows(model, sql, *params)
    return found[0] if found else None


def by_id(model, row_id):
    """The row of ``model`` with this id, or None."""
    return first(model, f'SELECT * FROM "{model._meta.table_name}" WHERE "id" = {{p}}', row_id)


def scalar(sql, *params):
    """The first column of the first row of ``sql``, or None."""
    row = db.execute_sql(sql.format(p=db.param), params).fetchone()
    return row[0] if row else None


def insert(model, **values):
    """Insert a row as ``model.create(**values)`` does (defaults filled in); return the instance."""
    row = model(**values)
    data = row.__data__
    key = (model, tuple(data))
    statement = _INSERTS.get(key)
    if statement is None:
        fields = [model._meta.fields[name] for name in key[1]]
        columns = ", ".join(f'"{field.column_name}"' for field in fields)
        marks = ", ".join("{p}" for _ in fields)
        statement = _INSERTS[key] = (
            f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})',
            [field.db_value for field in fields])
    sql, adapters = statement
    values = [adapt(value) for adapt, value in zip(adapters, data.values())]
    if is_sqlite(db):
        # No RETURNING: lastrowid gives the id without another step of the statement.
        row.id = db.execute_sql(sql.format(p=db.param), values).lastrowid
    else:
        row.id = scalar(sql + ' RETURNING "id"', *values)
    row._dirty.clear()
    return row


def with_children(parent, child, sql, *params):
    """``(parent row or None, [child rows])`` for ``sql`` joining one parent row to its children.

    ``sql`` selects ``{parent}`` then ``{child}`` (each model's columns in field
    order, from tables aliased ``parent`` and ``child``) with a LEFT JOIN; a
    parent without matching children comes back with an empty list. One
    statement instead of two.
    """
    key = (parent, child, sql)
    text = _JOINS.get(key)
    if text is None:
        text = _JOINS[key] = sql.format(parent=_select_list(parent, "parent"),
                                        child=_select_list(child, "child"), p="{p}")
    cursor = db.execute_sql(text.format(p=db.param), params)
    width = len(parent._meta.sorted_fields)
    found, children = None, []
    for values in cursor.fetchall():
        if found is None:
            found = _instance(parent, values[:width])
        if values[width] is not None:
            children.append(_instance(child, values[width:]))
    return found, children


_JOINS = {}  # (parent, child, sql) -> the SQL with its select lists filled in


def _select_list(model, alias):
    return ", ".join(f'"{alias}"."{field.column_name}"' for field in model._meta.sorted_fields)


def copy(row):
    """A new instance of ``row``'s model with the same column values (no related rows)."""
    twin = type(row)(__no_default__=1)
    twin.__data__ = dict(row.__data__)
    return twin


def _instance(model, values):
    row = model(__no_default__=1)
    row.__data__ = {field.name: field.python_value(value)
                    for field, value in zip(model._meta.sorted_fields, values)}
    return row


def insert_many(model, rows_values, key=()):
    """Insert rows (dicts of field values, the same fields in each) in one statement.

    The rows travel as one JSON parameter, so the SQL text is the same for any
    number of rows: the database keeps one prepared statement, not one per
    batch size, and runs it in one step. On SQLite, rows of one INSERT get
    consecutive ids while it holds the write lock, so the ids are counted back
    from the last one. PostgreSQL does not promise RETURNING's order, so there
    ``key`` names the fields that tell the rows apart, and each row's id is
    found by them.
    """
    made = [model(**values) for values in rows_values]
    if not made:
        return made
    fields = [model._meta.fields[name] for name in made[0].__data__]
    names = tuple(field.name for field in fields)
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    table = model._meta.table_name
    if is_sqlite(db):
        sql = _JSON_INSERTS.get((model, names))
        if sql is None:
            picks = ", ".join(f'"value" ->> {n}' for n in range(len(fields)))
            sql = _JSON_INSERTS[(model, names)] = (f'INSERT INTO "{table}" ({columns}) '
                                                   f'SELECT {picks} FROM json_each({{p}})')
        values = json.dumps([[field.db_value(row.__data__[field.name]) for field in fields] for row in made],
                            default=_datetime_text, ensure_ascii=False)
        last = db.execute_sql(sql.format(p=db.param), (values,)).lastrowid
        ids = range(last - len(made) + 1, last + 1)
    else:
        if not key and len(made) > 1:
            raise ValueError("PostgreSQL needs a key to match the ids RETURNING gives to the rows")
        sql = _JSON_INSERTS.get((model, names, key))
        if sql is None:
            returned = ", ".join(f'"{model._meta.fields[name].column_name}"' for name in ("id", *key))
            sql = _JSON_INSERTS[(model, names, key)] = (
                f'INSERT INTO "{table}" ({columns}) SELECT {columns} '
                f'FROM json_populate_recordset(NULL::"{table}", {{p}}::json) RETURNING {returned}')
        # Objects keyed by column: json_populate_recordset gives each value its column's type.
        values = json.dumps([{field.column_name: field.db_value(row.__data__[field.name]) for field in fields}
                             for row in made], default=_datetime_text, ensure_ascii=False)
        by_key = {tuple(found[1:]): found[0] for found in db.execute_sql(sql.format(p=db.param), (values,))}
        ids = [by_key[tuple(row.__data__[name] for name in key)] for row in made]
    for row, row_id in zip(made, ids):
        row.id = row_id
        row._dirty.clear()
    return made


_JSON_INSERTS = {}  # (model, field names[, key]) -> SQL


def _datetime_text(value):
    # How Python's sqlite3 stores a datetime (and peewee reads it back); PostgreSQL
    # reads the same text as a timestamp.
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat(" ")
    raise TypeError(f"cannot store {type(value).__name__} through JSON")


