"""Threads that leave SIGINT/SIGTERM to the main thread.

Python runs signal handlers only in the main thread, and a blocking wait
there (``Event.wait``, a lock) is cut short only when the kernel delivers
the signal to that thread. A thread started with the stop signals blocked
keeps that mask, so the kernel delivers them to the main thread, whose
wait they interrupt at once (not at the end of a poll interval).
"""

from __future__ import annotations

import signal
import threading

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def block_stop_signals() -> set[signal.Signals] | None:
    """Block SIGINT/SIGTERM in the calling thread; return the previous mask (None where there are no masks)."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def restore_signals(mask: set[signal.Signals] | None) -> None:
    """Put back the mask ``block_stop_signals`` returned (a pending signal is delivered now)."""
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def start_without_stop_signals(thread: threading.Thread) -> None:
    """Start ``thread`` with SIGINT/SIGTERM blocked in it (see the module docstring)."""
    mask = block_stop_signals()
    try:
        thread.start()
    finally:
        restore_signals(mask)
