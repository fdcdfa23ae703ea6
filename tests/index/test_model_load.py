"""Loading the bundled embedding model pays for the model, not for an HTTP client it never uses."""

from __future__ import annotations

import json
import subprocess
import sys

LOAD = """
import json, sys
from teleo.index.embed import load_model
load_model()
loaded = sorted(m for m in ("requests", "urllib3", "charset_normalizer") if m in sys.modules)
import requests  # a later importer still gets the real module
import wordllama.wordllama as w
print(json.dumps({"loaded": loaded, "real": hasattr(requests, "Session"), "wordllama_sees": w.requests.RequestException.__name__}))
"""


def test_the_model_load_imports_no_http_client():
    """wordllama imports requests at its top for downloads; an offline load makes none (~90 ms of CPU)."""
    done = subprocess.run([sys.executable, "-c", LOAD], capture_output=True, text=True, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"loaded": [], "real": True, "wordllama_sees": "RequestException"}
