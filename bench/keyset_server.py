"""A platform's public key set served over HTTP, in its own process: `python -m bench.keyset_server JWKS_FILE HOST PORT`.

It counts the requests it answers (GET /count), so a benchmark can say how often a tool fetched.
"""
from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(jwks_file: str, host: str, port: int) -> None:
    """Serve the key set at /jwks until killed."""
    body = open(jwks_file, "rb").read()
    fetches = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            if self.path == "/count":
                with lock:
                    payload = str(fetches[0]).encode()
            elif self.path == "/jwks":
                with lock:
                    fetches[0] += 1
                payload = body
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer((host, port), Handler).serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], int(sys.argv[3]))
