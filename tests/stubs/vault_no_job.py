#!/usr/bin/python3
"""vault_no_job.py SOCKET: an HTTP server on a unix socket that answers every
POST with 204 (the vault's "no job came within wait"). Only for the broker
sandbox test's allowed-work probe (broker_probe claim), which checks that the
broker's vault link runs under its filter; the broker's dealings with the
vault are tested against the real vault (t_broker_verify.sh)."""
import http.server
import os
import socketserver
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    if os.path.exists(sys.argv[1]):
        os.unlink(sys.argv[1])
    Server(sys.argv[1], Handler).serve_forever()
