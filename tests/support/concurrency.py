"""Several threads doing one thing at the same moment, as concurrent workers or requests would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def at_once(count: int, action: Callable[[], Any]) -> list[Any]:
    """`action` in `count` threads released together by a barrier: what each returned. What a thread
    raised is raised here (the first of them), not lost in the thread."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def go() -> None:
        barrier.wait(timeout=10)
        try:
            results.append(action())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
    return results
