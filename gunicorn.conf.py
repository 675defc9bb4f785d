"""gunicorn reads this file from the folder it starts in (README «Deployment»): settings the
command line does not carry, and a loud warning when several workers would each count sign-in
attempts on their own (see vsoko_flow/web/login_limits.py), and each worker made ready before its
first request."""
import os


def on_starting(server):
    from vsoko_flow.web.login_limits import shared_store_warning

    warning = shared_store_warning(os.environ.get("VSOKO_RATELIMIT_STORAGE_URI", "memory://"), server.cfg.workers)
    if warning:
        server.log.warning(warning)


def post_worker_init(worker):
    from flask import Flask

    from vsoko_flow.web import prepare_worker

    if isinstance(worker.wsgi, Flask):  # not gunicorn's stand-in that reports a failed import
        prepare_worker(worker.wsgi)
