"""Render's shared caches while other threads work and issues are collected.

An issue's memo entry is removed by a finalizer, and a finalizer runs in
whichever thread drops the last reference or runs the cyclic collector, at any
point of that thread's work. The land train of 2026-12-01 12:15 saw ``send-test``
print ``RuntimeError('dictionary changed size during iteration')``: the issue of
the ``send`` before it was collected by another thread while ``render_edition``
walked the memo. Here another thread lets an issue die at *every* line the
render module runs for a new issue, each time waiting until it is done (a queue
handshake, no sleeps), so every interleaving of the two is tried once.
"""

from __future__ import annotations

import queue
import sys
import threading

from leadex_mail.render import pipeline, render_edition
from leadex_mail.render.pipeline import content_hash


def test_issues_collected_in_another_thread_at_every_step_of_a_render_break_nothing(issue, settings):
    lang = issue.default_language
    expected = render_edition(issue, lang, settings)  # compiled once: the run below is the cached path send-test takes
    doomed = [issue.model_copy() for _ in range(300)]  # new issue objects, each with its memo entry and finalizer
    for other in doomed:
        content_hash(other, other.edition(lang), settings)
    del other
    requests: queue.Queue[bool] = queue.Queue()
    done: queue.Queue[int] = queue.Queue()

    def collector() -> None:
        # Drops the last reference: the issue's finalizer runs here, in this thread.
        while requests.get():
            doomed.pop()
            done.put(len(doomed))

    thread = threading.Thread(target=collector, name="collector")
    thread.start()
    steps = 0

    def step(frame, event, arg):  # the main thread, paused at one line of the render module
        nonlocal steps
        if event == "line" and doomed:
            requests.put(True)
            done.get(timeout=30)
            steps += 1
        return step

    def trace(frame, event, arg):
        return step if frame.f_code.co_filename == pipeline.__file__ else None

    fresh = issue.model_copy()  # unknown to the memo: it is walked and written for it
    sys.settrace(trace)
    try:
        rendered = render_edition(fresh, lang, settings)
    finally:
        sys.settrace(None)
        requests.put(False)
        thread.join(timeout=30)
    assert rendered is expected  # same content: the cached edition
    assert 10 < steps < 300, steps  # the render ran lines here, and each had an issue collected beside it
