"""A bare Socket.IO server on eventlet for ``test_delivery.py``, with or without
``forum.live.delivery`` (``--direct``). Prints its port, then serves.

    join  "room"                    -> "ok"
    flood {"room", "n", "size"}     -> n; emits "item" {"i", "pad"} n times to the room
"""

import sys
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import eventlet.wsgi  # noqa: E402
import socketio  # noqa: E402

from forum.live import delivery  # noqa: E402

sio = socketio.Server(
    async_mode="eventlet", ping_interval=120, ping_timeout=120, logger=False, engineio_logger=False
)
if "--direct" in sys.argv and not delivery.install(sio):
    raise SystemExit("direct delivery did not install")


def pad(i: int, size: int) -> str:
    """Text that differs from one item to the next (so compression has work)."""
    return (f"{i:07d}-" * (size // 8 + 1))[:size]


@sio.on("join")
def join(sid, room):
    sio.enter_room(sid, room)
    return "ok"


@sio.on("flood")
def flood(sid, data):
    for i in range(data["n"]):
        sio.emit("item", {"i": i, "pad": pad(i, data["size"])}, to=data["room"])
        if i % 10 == 9:
            eventlet.sleep(0)  # let writers run between direct writes, as a busy room does
    return data["n"]


if __name__ == "__main__":
    listener = eventlet.listen(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    eventlet.wsgi.server(listener, socketio.WSGIApp(sio), log_output=False)
