"""A server worker is made ready before its first request: the workflow definitions read, every page
template compiled, and what start-up loaded kept out of the cyclic collector's full passes."""
from __future__ import annotations

import json
import subprocess
import sys

from vsoko_flow.config import PROJECT_ROOT

# Run in a child: gc.freeze() is for the whole process, and the test process should stay as it is.
CHILD = """
import gc, json, runpy, sys
from pathlib import Path
from types import SimpleNamespace
from vsoko_flow.web import create_app
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.config import Settings, PROJECT_ROOT

rt = Runtime.create(Settings(database_url=sys.argv[1], instance_dir=Path(sys.argv[2]),
                             workflows_dir=PROJECT_ROOT / "workflows", templates_dir=PROJECT_ROOT / "document_templates",
                             base_url="https://vsoko.example"))
app = create_app(rt, {"TESTING": True})
before = {"definitions": "definitions" in rt.__dict__, "frozen": gc.get_freeze_count(),
          "compiled": len(app.jinja_env.cache or {})}
# What gunicorn does after a worker has loaded the application (gunicorn.conf.py).
hooks = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
hooks["post_worker_init"](SimpleNamespace(wsgi=app))
hooks["post_worker_init"](SimpleNamespace(wsgi=lambda environ, start_response: []))  # gunicorn's failed-import app
after = {"definitions": "definitions" in rt.__dict__, "frozen": gc.get_freeze_count(),
         "compiled": len(app.jinja_env.cache or {}),
         "pages": len(app.jinja_env.list_templates(extensions=("html",)))}
print(json.dumps({"before": before, "after": after}))
"""


def test_gunicorn_hook_loads_definitions_compiles_pages_and_freezes_startup(database_url, tmp_path):
    result = subprocess.run([sys.executable, "-c", CHILD, database_url, str(tmp_path / "instance")], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    before, after = report["before"], report["after"]
    assert not before["definitions"] and after["definitions"]
    assert before["compiled"] == 0 and after["compiled"] >= after["pages"] > 40
    assert before["frozen"] == 0 and after["frozen"] > 100_000  # the libraries, definitions and templates
