"""Running BLAS single-threaded around skinny products.

OpenBLAS splits a dot product or a (n x 2..5) matrix product of 1e5 rows over its threads; the
work is a fraction of a millisecond, so the split gains nothing, and on shared cores the waiting
threads spin: a 1e5-point dot measured 7 ms of CPU with two threads against 0.02 ms with one
(numpy 2.4, OpenBLAS 0.3.31, 2 cores under load). The least-squares fits of long sweeps run inside
:func:`one_blas_thread` (``magnets.field`` has its own: magnets imports only units).
"""
from __future__ import annotations

import contextlib
from typing import Any

_controller: Any = None


#: Fewer points than this: the fits leave BLAS alone.
SKINNY_ROWS = 10_000


def one_blas_thread(active: bool = True) -> contextlib.AbstractContextManager:
    """A context running BLAS with one thread (a no-op context when not ``active``, so callers can
    skip it for work too small to matter)."""
    global _controller
    if not active:
        return contextlib.nullcontext()
    if _controller is None:  # built on first use: finding the BLAS libraries takes ~20 ms
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
