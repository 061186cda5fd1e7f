"""Stop signals during training: SIGINT and SIGTERM become ``KeyboardInterrupt``, or wait.

Also for a run started in the background (``nohup ... &``), where the shell would otherwise make it
ignore SIGINT. Python runs signal handlers in the main thread only; elsewhere these are no-ops.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def _stop_signal_handler(handler: Callable) -> Iterator[None]:
    """SIGINT and SIGTERM go to ``handler`` inside the block, and back to the previous handlers after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def stop_signals_interrupt():
    """Inside the block, SIGINT and SIGTERM raise ``KeyboardInterrupt`` (so a run saves and exits)."""
    return _stop_signal_handler(_interrupt)


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (a checkpoint is written whole), then raise
    ``KeyboardInterrupt``. Swapping the handler holds them whichever thread the kernel delivers them to."""
    pending = []
    with _stop_signal_handler(lambda signum, frame: pending.append(signum)):
        yield
    if pending:
        raise KeyboardInterrupt(f"signal {pending[0]}")
