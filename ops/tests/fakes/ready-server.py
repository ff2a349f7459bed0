#!/usr/bin/env python3
"""Plays a Lawha container for ops/tests/bluegreen-test.sh: answers /health/live with 200 and /health/ready with the
status code written in STATUS_FILE (read on every request, 200 when the file is absent), on 127.0.0.1:PORT."""
import http.server
import sys

port, status_file = int(sys.argv[1]), sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health/ready":
            try:
                with open(status_file) as f:
                    status = int(f.read().strip())
            except FileNotFoundError:
                status = 200
        elif self.path == "/health/live":
            status = 200
        else:
            status = 404
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
