# moto's S3 server for Sediment's S3 leg, with every request that changes the bucket atomic.
#
# moto 5.1's PutObject checks If-None-Match / If-Match with one lookup and stores the object
# with a later call, and its server is threaded: two racing creates of one key can both pass
# the check and both win (CI saw it in racing_creates_on_moto_never_both_win, about one run in
# 25 here). S3 makes a conditional write atomic and Sediment's fencing relies on it, so this
# server runs each PUT, POST and DELETE under one lock. Reads stay concurrent.
#
# Usage: python -c "<this file>" -H HOST -p PORT   (the venv's python, with moto installed)
import argparse
import os
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

WRITING_METHODS = frozenset({"PUT", "POST", "DELETE"})


def writes_one_at_a_time(app):
    lock = threading.Lock()

    def serve(environ, start_response):
        if environ.get("REQUEST_METHOD") not in WRITING_METHODS:
            return app(environ, start_response)
        with lock:
            # The whole answer is made under the lock: a lazy body may still be writing.
            body = app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

    return serve


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    # As moto_server does: moto builds some URLs from it.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    # As moto_server sets it: an unexpected error answers with its traceback.
    app.debug = True
    run_simple(args.host, args.port, writes_one_at_a_time(app), threaded=True)


main()
