#!/usr/bin/env python3
"""A scripted OpenAI-compatible chat server for Tome's protocol tests.

The first path segment picks the script: http://127.0.0.1:PORT/<script>/v1
is a server that behaves as <script> says. It prints its port on the first
line of stdout, then serves until killed. Given a file name as its
argument, it writes there the last chat request it got (body, path and
Authorization header) as JSON; given a port after it, it serves there.

Scripts: ok (streams a reply quoting excerpt 1 and citing [1]), whole (the
same, answered as one JSON even when a stream is asked for), badcite (cites
[1] and [9]), unauthorized (401), ratelimit (429, Retry-After: 7), error500,
cut (two pieces, then the connection closes), malformed (a stream event that
is not JSON), silent (one piece, then nothing for 30 s), empty (a complete
reply with no text), overflow (400 "exceed context window" to messages of
more than 2,000 characters, else as ok), models (GET /models lists "scripted-model").
"""
import json
import os
import re
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST = {}


def excerpt_line(body):
    """The first line of excerpt 1's text in the user message, or a fixed sentence."""
    for message in body.get("messages", []):
        if message.get("role") == "user":
            m = re.search(r'<excerpt n="1"[^>]*>\n([^\n]*)', message.get("content", ""))
            if m:
                return m.group(1).strip()
    return "The excerpts do not say."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj, headers=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if parts[-1] == "models" and parts[0] in ("ok", "models", "whole", "badcite"):
            return self.send_json(200, {"object": "list", "data": [{"id": "scripted-model", "object": "model"}]})
        if parts[0] == "unauthorized":
            return self.send_json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
        return self.send_json(404, {"detail": "Not Found"})

    def chunk(self, obj):
        data = ("data: " + json.dumps(obj) + "\n\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def raw_event(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        LAST.clear()
        LAST.update({"body": body, "authorization": self.headers.get("Authorization"), "path": self.path})
        if len(sys.argv) > 1:
            with open(sys.argv[1] + ".tmp", "w") as f:
                json.dump(LAST, f)

            os.replace(sys.argv[1] + ".tmp", sys.argv[1])
        script = self.path.strip("/").split("/")[0]
        stream = body.get("stream", False)
        reply = "According to the document, " + excerpt_line(body) + " [1]"
        if script == "badcite":
            reply = "It is stated twice [1] and elsewhere [9]."
        if script == "unauthorized":
            return self.send_json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
        if script == "ratelimit":
            return self.send_json(429, {"error": {"message": "Rate limit reached"}}, headers=[("Retry-After", "7")])
        if script == "overflow" and sum(len(m.get("content", "")) for m in body.get("messages", [])) > 2000:
            return self.send_json(400, {"error": {"message": "Requested tokens (5005) exceed context window of 4096"}})
        if script == "error500":
            return self.send_json(500, {"error": {"message": "the model crashed"}})
        if script == "empty":
            reply = ""
        usage = {"prompt_tokens": 100, "completion_tokens": 12, "total_tokens": 112}
        if not stream or script == "whole":
            return self.send_json(200, {"id": "x", "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}], "usage": usage})
        self.start_stream()
        if script == "malformed":
            self.raw_event("data: {this is not json\n\n")
            return self.end_stream()
        pieces = re.findall(r"\S+\s*", reply) or [""]
        if script == "cut":
            for piece in pieces[:2]:
                self.chunk({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if script == "silent":
            self.chunk({"choices": [{"index": 0, "delta": {"content": pieces[0]}, "finish_reason": None}]})
            time.sleep(30)
            return
        self.chunk({"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]})
        for piece in pieces:
            if piece:
                self.chunk({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        self.chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self.chunk({"choices": [], "usage": usage})
        self.raw_event("data: [DONE]\n\n")
        self.end_stream()


def main():
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
