"""A WebSocket client nobody here wrote (PyPI `websockets`) against tests/ws.rs's server.

Usage: ws_client.py ws://127.0.0.1:PORT. Prints one line per check; exits non-zero on a failure.
"""
import asyncio
import sys
import urllib.error
import urllib.request

import websockets


async def main(base):
    # Two members of one room hear each other; a member of another room does not.
    async with websockets.connect(base + "/chat/rust/ws") as a, \
            websockets.connect(base + "/chat/rust/ws") as b, \
            websockets.connect(base + "/chat/other/ws") as c:
        await a.send("hello, room")
        assert await asyncio.wait_for(b.recv(), 5) == "hello, room"
        assert await asyncio.wait_for(a.recv(), 5) == "hello, room"
        try:
            leaked = await asyncio.wait_for(c.recv(), 0.5)
            raise SystemExit(f"another room heard {leaked!r}")
        except asyncio.TimeoutError:
            pass
    print("rooms ok")

    # Echo within the limit; a message over it closes the socket with 1009 (message too big).
    async with websockets.connect(base + "/echo", max_size=None) as e:
        await e.send("x" * 1000)
        assert await asyncio.wait_for(e.recv(), 5) == "x" * 1000
        await e.send("y" * 5000)
        try:
            await asyncio.wait_for(e.recv(), 5)
            raise SystemExit("a message over the limit was answered")
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1009, closed
    print("limit ok")

    # A silent socket is closed by the server's idle timeout (0.5 s here).
    async with websockets.connect(base + "/echo", ping_interval=None) as e:
        try:
            await asyncio.wait_for(e.recv(), 5)
            raise SystemExit("an idle socket got a message")
        except websockets.ConnectionClosed:
            pass
    print("idle ok")

    # Not a handshake: a plain GET to a WebSocket route is refused with 400; a WebSocket to a
    # route that is not one gets the route's own answer, not a 101.
    try:
        urllib.request.urlopen(base.replace("ws://", "http://") + "/echo", timeout=5)
        raise SystemExit("a plain GET was upgraded")
    except urllib.error.HTTPError as refused:
        print("refused", refused.code)
    try:
        async with websockets.connect(base + "/chat/rust", open_timeout=5):
            raise SystemExit("the page route accepted a WebSocket")
    except websockets.InvalidStatus as refused:
        print("not a socket", refused.response.status_code)


asyncio.run(main(sys.argv[1]))
