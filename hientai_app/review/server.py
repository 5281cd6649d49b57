"""The HTTP protocol `hientai serve` runs: uvicorn's httptools protocol (the C parser; with
uvloop, the faster event loop) with TCP_NODELAY on every connection.

With `--workers N` uvicorn hands its workers a listening socket whose protocol number asyncio
cannot see, so asyncio never turns Nagle's algorithm off on their connections; each response
(headers and body are two writes) then waits for the client's delayed ACK, about 40 ms.
Measured on loopback: 1.5 ms for the sign-in page with one process, 48 ms with two, 1.5 ms
again with TCP_NODELAY set here."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
