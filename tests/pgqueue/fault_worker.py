"""`teleo worker` for the fault test (issue 18.4), with the offline model made slow enough to be killed mid-call.

    TELEO_FAULT_BUSY=<folder> TELEO_FAULT_LATENCY=<min>,<max> python fault_worker.py [teleo worker options…]

Runs the real command line (`teleo.cli.app:main`, argv `worker …`) in this process. Only the
offline provider's `extract` changes: it writes `<folder>/<pid>` (the source it extracts) while it
waits a random `min…max` seconds — a model's latency — and removes the file when it returns. The
test reads that folder to SIGKILL a worker in the middle of a job, knowing which source's job it
interrupted. The change is made when this module is imported, so a worker process spawned rather
than forked (it imports the main module again) is slowed too.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path


def slow_offline_model(busy: Path, low: float, high: float) -> None:
    from teleo.llm.providers import OfflineProvider

    answer = OfflineProvider.extract

    def extract(self, request):
        marker = busy / str(os.getpid())
        marker.write_text(str(request.source_path), encoding="utf-8")
        try:
            time.sleep(random.uniform(low, high))
            return answer(self, request)
        finally:
            marker.unlink(missing_ok=True)

    OfflineProvider.extract = extract


if os.environ.get("TELEO_FAULT_BUSY"):
    _low, _high = (float(x) for x in os.environ.get("TELEO_FAULT_LATENCY", "0.2,0.8").split(","))
    Path(os.environ["TELEO_FAULT_BUSY"]).mkdir(parents=True, exist_ok=True)
    slow_offline_model(Path(os.environ["TELEO_FAULT_BUSY"]), _low, _high)


if __name__ == "__main__":
    from teleo.cli.app import main

    sys.argv = ["teleo", "worker", *sys.argv[1:]]
    main()
