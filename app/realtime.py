"""The realtime hub: fan-out of "report R has new events" and the socket loop.

A notice carries only a channel, a report id and a sequence number, never the
message itself: every socket reads what it has not sent yet from the database,
by sequence number. That keeps the ledger the single source of truth, makes a
missed notice harmless (the next read catches up) and lets the notices cross
between processes on PostgreSQL by LISTEN/NOTIFY (``realtime_postgres``)
without changing any caller.
"""
import functools
import json
import logging
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from simple_websocket import ConnectionClosed

from .extensions import db
from .sessions import session_is_live

log = logging.getLogger(__name__)

# A socket whose session row is gone is closed with this code; the page then
# reloads and shows the login instead of retrying forever.
CLOSE_SESSION_ENDED = 4401
# A socket whose report is no longer this user's to see (a case handed to
# another HQ) is closed with this code; the console goes back to its queue.
CLOSE_ACCESS_ENDED = 4403
# Even without a notice, a socket re-checks its session this often (seconds), busy or idle.
SESSION_RECHECK_SECONDS = 30

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True)
class Notice:
    """Something changed on ``channel``; read the database to see what.

    ``in_hand`` is what the publisher just stored, ``(report, event)``, for the
    sockets of its own process: one that has everything up to ``seq - 1`` can
    render the event without reading it back. It stays in its process: the
    PostgreSQL bridge sends the channel, report id and sequence alone.
    """

    channel: str
    report_id: int | None = None
    seq: int | None = None
    in_hand: tuple = field(default=(), compare=False, repr=False)


class Subscription:
    """A registration with a hub; ``close()`` ends it."""

    def __init__(self, hub, channels, callback):
        self._hub, self.channels, self.callback = hub, tuple(channels), callback

    def close(self):
        self._hub.unsubscribe(self)


class LocalHub:
    """Fan-out between the sockets of one process (the embedded default).

    With a ``bridge`` (``bridge_to``), every notice also goes to the other
    processes, and theirs come in through ``deliver`` (see realtime_postgres).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers = defaultdict(set)
        self._bridge = None

    def bridge_to(self, bridge):
        """Exchange notices with other processes through ``bridge`` (None: this process only)."""
        old, self._bridge = self._bridge, bridge
        if old is not None and old is not bridge:
            old.close()

    def subscribe(self, channels, callback):
        """Call ``callback(notice)`` for every notice on ``channels`` until closed."""
        subscription = Subscription(self, channels, callback)
        with self._lock:
            for channel in subscription.channels:
                self._subscribers[channel].add(subscription)
        if self._bridge is not None:
            self._bridge.start()
        return subscription

    def unsubscribe(self, subscription):
        """Stop delivering to ``subscription``."""
        with self._lock:
            for channel in subscription.channels:
                subscribers = self._subscribers.get(channel)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self._subscribers[channel]

    def publish(self, channel, report_id=None, seq=None, in_hand=()):
        """Tell every subscriber of ``channel``; call only after the write committed."""
        notice = Notice(channel, report_id, seq, in_hand)
        self.deliver(notice)
        if self._bridge is not None:
            self._bridge.send(notice)

    def deliver(self, notice):
        """Hand ``notice`` to this process's subscribers of its channel."""
        with self._lock:
            subscribers = list(self._subscribers.get(notice.channel, ()))
        for subscription in subscribers:
            try:
                subscription.callback(notice)
            except Exception:  # noqa: BLE001 (logged; the others are still told)
                # One subscriber's bug must not keep the notice from the others, nor end the thread
                # delivering it: the PostgreSQL listener is one thread for every socket of the process.
                log.exception("a hub subscriber failed on a notice of %s", notice.channel)

    def wake_all(self):
        """A notice without news on every subscribed channel: each reads what it may have missed."""
        with self._lock:
            channels = list(self._subscribers)
        for channel in channels:
            self.deliver(Notice(channel))

    def subscriber_count(self):
        """How many subscriptions are registered (for leak checks)."""
        with self._lock:
            return len({s for subs in self._subscribers.values() for s in subs})


hub = LocalHub()


class AccessEnded(Exception):
    """Raised by a socket's handlers when its user may no longer see what it serves."""


class FrameError(ValueError):
    """A client frame that cannot be accepted, with the reason in both languages."""

    def __init__(self, ja, en):
        super().__init__(en)
        self.ja, self.en = ja, en


def parse_frame(raw, allowed_types):
    """Decode a client frame into a dict with a known ``type``, or raise FrameError.

    Size is limited before this, by the socket (SOCK_SERVER_OPTIONS max_message_size).
    """
    if not isinstance(raw, str):
        raise FrameError("送信内容を読み取れませんでした。", "The message could not be read.")
    try:
        frame = json.loads(raw)
    except ValueError:
        raise FrameError("送信内容を読み取れませんでした。", "The message could not be read.") from None
    kind = frame.get("type") if isinstance(frame, dict) else None
    # Looked up in a set: a list or an object there must not get that far (unhashable).
    if not isinstance(kind, str) or kind not in allowed_types:
        raise FrameError("この操作は受け付けられません。", "This action is not accepted.")
    if "\\u0000" in raw:
        # A NUL, never typed: PostgreSQL refuses it in text, and the message would fail on
        # every retry. Dropped, as forms drop it (app/forms.py). Frames are flat objects.
        frame = {key: value.replace("\x00", "") if isinstance(value, str) else value for key, value in frame.items()}
    return frame


def _take_notices(ws, first):
    """``first`` and every notice queued right behind it: one catch-up serves them all."""
    notices = [first]
    while ws.input_buffer and isinstance(ws.input_buffer[0], Notice):
        notices.append(ws.input_buffer.pop(0))
    return notices


def _wake(ws, notice):
    """Hand ``notice`` to the handler blocked in ``ws.receive()``.

    simple-websocket's reader (a greenlet under ``net119 serve``, a thread in
    tests) appends incoming frames to ``input_buffer`` and sets ``event``;
    putting the notice there too lets one handler per socket wait for "client
    sent something" and "hub has news" at once, with no polling and with
    every send made from that one handler.
    tests/test_realtime.py guards this reliance on simple-websocket 1.1.
    """
    ws.input_buffer.append(notice)
    ws.event.set()


def serve_socket(ws, *, session_id, channels, on_notice, on_frame, on_error, fanout=None):
    """Serve one WebSocket until it closes or its session ends.

    ``on_notice(notices)`` and ``on_frame(raw)`` return a list of texts to send;
    ``on_error(FrameError)`` renders a refusal. Each call gets its own database
    connection: a socket may stay open for hours and must not hold one. A bug
    in a handler closes this one socket (1011, the page reconnects and
    resumes) instead of ending its handler silently. ``fanout`` is the
    hub of ``channels``: ``hub`` unless the caller has its own (practice does).
    """
    if not db.is_closed():
        db.close()
    wake = functools.partial(_wake, ws)
    # The end of a session is told on this hub, whichever hub carries the socket's news
    # (auth.end_session): a practice socket must close on a logout or a suspension too.
    subscriptions = [hub.subscribe([f"session:{session_id}"], wake), (fanout or hub).subscribe(channels, wake)]
    checked = time.monotonic()
    try:
        while True:
            item = ws.receive(timeout=max(SESSION_RECHECK_SECONDS - (time.monotonic() - checked), 0))
            if isinstance(item, Notice) and not ws.connected:
                # simple-websocket still hands out what was queued after a close;
                # nobody is listening for news any more (a client's last frame,
                # though, is still handled: a message it sent must be stored).
                return
            notices = _take_notices(ws, item) if isinstance(item, Notice) else None
            told = notices is not None and any(n.channel.startswith("session:") for n in notices)
            # Due also while the client keeps sending: a socket that is never idle is still
            # re-checked (a session can end with no notice here: expiry, another process).
            if told or time.monotonic() - checked >= SESSION_RECHECK_SECONDS:
                if not session_is_live(session_id):
                    ws.close(CLOSE_SESSION_ENDED, "session ended")
                    return
                checked = time.monotonic()
            if notices is not None:
                notices = [n for n in notices if not n.channel.startswith("session:")]
                if not notices:
                    continue
            elif item is None:
                continue
            try:
                if notices:
                    replies = on_notice(notices)
                else:
                    with db.connection_context():
                        replies = on_frame(item)
            except FrameError as error:
                replies = [on_error(error)]
            try:
                for text in replies:
                    ws.send(text)
            except ConnectionError:
                # The peer went without a closing handshake (a phone out of coverage, a
                # killed tab) before the reader noticed. Not a bug, so not a traceback in the
                # log: what it sent is stored, and it resumes from its last sequence.
                return
    except ConnectionClosed:
        pass
    except AccessEnded:
        ws.close(CLOSE_ACCESS_ENDED, "access ended")
    except Exception:
        log.exception("socket handler failed; closing it so the client resumes")
        ws.close(1011, "internal error")
    finally:
        for subscription in subscriptions:
            subscription.close()
