"""Where a chat message's time goes inside the NET119 worker (bench/realtime/run.py --stages).

Loaded into the server only by the bench: ``run.py --stages`` puts
``bench/realtime/hook`` on the server's PYTHONPATH, whose ``sitecustomize``
calls ``install()`` in the gunicorn worker right after the fork. Nothing of
this is in the app. ``install()`` wraps a few functions of the app and
simple-websocket to take ``time.perf_counter_ns()`` (CLOCK_MONOTONIC, the
client's clock too: both run on this machine) at each step of a message:

    client     the client took it just before sending (the bench writes it into the body)
    handler    the socket's handler has the frame (parse_frame)
    queued     handed to the group commit
    c0, c1     its batch's transaction began / committed
    resumed    the handler has the commit's result
    published  the hub was told (the other side's socket is woken)
    ack        the acknowledgement was sent to the sender
    woken      the other side's handler took the notice (catch_up)
    rendered   its frame rendered
    delivered  its frame sent

One JSON line per message goes to the file named by NET119_BENCH_STAGES;
``spans(path)`` reads them back for the table run.py prints.
"""
import atexit
import json
import time

FIELDS = ("client", "handler", "queued", "c0", "c1", "resumed", "published", "ack", "woken",
          "rendered", "delivered")
STAGES = (
    ("client → handler has the frame", "client", "handler"),
    ("handler: report read, checks", "handler", "queued"),
    ("waiting for its batch", "queued", "c0"),
    ("the batch's transaction", "c0", "c1"),
    ("commit → handler resumes", "c1", "resumed"),
    ("publish", "resumed", "published"),
    ("acknowledgement rendered, sent", "published", "ack"),
    ("ack sent → other side wakes", "ack", "woken"),
    ("other side renders", "woken", "rendered"),
    ("other side sends", "rendered", "delivered"),
)


def install(path):
    """Record the steps of every chat message in this process, one JSON line each to ``path``."""
    from gevent import getcurrent
    from simple_websocket import ws as simple_ws

    from app import chat_socket, database, realtime

    now = time.perf_counter_ns
    steps = {}  # client id -> {field: ns}
    sending = {}  # greenlet -> ("ack", client id) or ("delivery", [client ids])
    out = open(path, "a", buffering=1 << 20)  # noqa: SIM115 (closed at exit)
    atexit.register(out.close)

    def finished(client_id):
        record = steps.get(client_id)
        if record is not None and "ack" in record and "delivered" in record:
            out.write(json.dumps(steps.pop(client_id)) + "\n")

    parse_frame = chat_socket.parse_frame

    def timed_parse_frame(raw, allowed_types):
        taken = now()
        frame = parse_frame(raw, allowed_types)
        client_id = frame.get("client_id")
        if frame.get("type") == "message" and isinstance(client_id, str) and "t=" in str(frame.get("body")):
            steps[client_id] = {"client": int(frame["body"].rsplit("t=", 1)[1]), "handler": taken}
            sending[getcurrent()] = ("ack", client_id)
        return frame

    chat_socket.parse_frame = timed_parse_frame

    group_run, group_commit = database.GroupCommit.run, database.GroupCommit._commit

    def timed_run(self, item):
        record = steps.get(item.get("client_id")) if isinstance(item, dict) else None
        if record is not None:
            record["queued"] = now()
        result = group_run(self, item)
        if record is not None:
            record["resumed"] = now()
        return result

    def timed_commit(self, items):
        began = now()
        result = group_commit(self, items)
        committed = now()
        for item in items:
            record = steps.get(item.get("client_id")) if isinstance(item, dict) else None
            if record is not None:
                record.update(c0=began, c1=committed)
        return result

    database.GroupCommit.run, database.GroupCommit._commit = timed_run, timed_commit

    publish = realtime.LocalHub.publish

    def timed_publish(self, channel, report_id=None, seq=None, in_hand=()):
        result = publish(self, channel, report_id, seq, in_hand)
        record = steps.get(getattr(in_hand[1], "client_id", None)) if len(in_hand) > 1 else None
        if record is not None:
            record["published"] = now()
        return result

    realtime.LocalHub.publish = timed_publish

    catch_up = chat_socket.ReportFeed.catch_up

    def timed_catch_up(self, notices):
        woken = now()
        frames = catch_up(self, notices)
        rendered = now()
        if frames:  # not the sender's own socket, which has the message already
            ids = [n.in_hand[1].client_id for n in notices if len(n.in_hand) > 1 and n.in_hand[1] is not None]
            sending[getcurrent()] = ("delivery", ids)
            for client_id in ids:
                record = steps.get(client_id)
                if record is not None and "woken" not in record:
                    record.update(woken=woken, rendered=rendered)
        return frames

    chat_socket.ReportFeed.catch_up = timed_catch_up

    send = simple_ws.Base.send

    def timed_send(self, data):
        result = send(self, data)
        what = sending.pop(getcurrent(), None)
        if what is not None:
            kind, ids = what
            for client_id in [ids] if kind == "ack" else ids:
                record = steps.get(client_id)
                if record is not None and ("woken" in record or kind == "ack"):
                    record.setdefault("ack" if kind == "ack" else "delivered", now())
                    finished(client_id)
        return result

    simple_ws.Base.send = timed_send


def spans(path):
    """Each step's durations (ns) over the complete records in ``path``, with the mean of the slowest 1 %.

    Returns ``[(label, durations, mean of the slowest 1 % in ns), ...]`` (the last row the
    whole way, client to delivered) and the number of messages; run.py prints percentiles.
    """
    records = []
    with open(path) as lines:
        for line in lines:
            record = json.loads(line)
            if all(field in record for field in FIELDS):
                records.append(record)
    if not records:
        return [], 0
    records.sort(key=lambda r: r["delivered"] - r["client"])
    slowest = records[int(0.99 * len(records)):]
    rows = []
    for label, start, end in (*STAGES, ("total: client → delivered", "client", "delivered")):
        rows.append((label, [r[end] - r[start] for r in records],
                     sum(r[end] - r[start] for r in slowest) / len(slowest)))
    return rows, len(records)
