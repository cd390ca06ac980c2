"""Readers for binary replies, used with :meth:`drivers.transport.Transport.query_binary`.

A binary reply cannot be cut at a read termination (any byte may occur in it): its own format
says how long it is. Two formats occur on lock-ins: a fixed count of bytes with nothing after
it (the SR830's ``TRCB?``/``TRCL?``), and the IEEE 488.2 definite-length block (SR860
``CAPTUREGET?``, most SCPI instruments).
"""
from __future__ import annotations

from typing import Callable

from drivers.transport import ReplyError

Receive = Callable[[int], bytes]


def fixed_length(n: int) -> Callable[[Receive], bytes]:
    """A binary reply of exactly ``n`` bytes and nothing after it (SR830 ``TRCB?``/``TRCL?``)."""
    def read(receive: Receive) -> bytes:
        return receive(n) if n > 0 else b""
    return read


def ieee_block(termination: str = "\n") -> Callable[[Receive], bytes]:
    """An IEEE 488.2 definite-length arbitrary block ``#<d><d digits: length><length bytes>``
    followed by the response terminator (IEEE Std 488.2-1992, 8.7.9 and 8.5); returns the data bytes."""
    end = termination.encode("ascii")

    def read(receive: Receive) -> bytes:
        head = receive(2)
        if head[:1] != b"#" or not head[1:2].isdigit() or head[1:2] == b"0":
            raise ReplyError(f"reply starts with {head!r}, not a definite-length block '#<digit>'")
        digits = receive(int(head[1:2]))
        if not digits.isdigit():
            raise ReplyError(f"block length {digits!r} is not a decimal number")
        data = receive(int(digits))
        if end and receive(len(end)) != end:
            raise ReplyError(f"block of {int(digits)} bytes not followed by the terminator {end!r}")
        return data
    return read
