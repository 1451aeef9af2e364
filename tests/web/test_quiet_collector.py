"""serve freezes what it holds once started out of the cyclic collector, and still collects
the garbage its pages make afterwards (a process of its own: freezing is for the process)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc, weakref
from web.serve import quiet_collector

quiet_collector()
frozen = gc.get_freeze_count()

class Cycle:
    pass

made = Cycle()
made.me = made  # a reference cycle made after the freeze: only the collector frees it
alive = weakref.ref(made)
del made
gc.collect()
print(frozen, alive() is None)
"""


def test_what_serve_holds_is_frozen_and_later_garbage_still_collected() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    frozen, collected = done.stdout.split()
    assert int(frozen) > 50_000  # the imports of web.serve: FastAPI, SQLAlchemy, the app
    assert collected == "True"
