#!/usr/bin/env python3
"""A fault-injecting HTTP/1.1 reverse proxy for testing gwsync against a real RGW.

    fault_proxy.py --upstream http://127.0.0.1:7480 [--port 0] [--stats FILE] FAULTS...

Listens on 127.0.0.1 (the port goes to stdout's first line), forwards every
request to the upstream gateway unchanged (the Host header too: it is signed)
over one upstream connection per client connection, keep-alive both ways,
bodies streamed with Content-Length or chunked framing. Faults are
deterministic, counted in request arrival order:

  --slowdown-first N        the first N requests get 503 SlowDown (S3 XML) and
                            are not forwarded; --retry-after adds Retry-After: 1
  --reset-mid-body-first N  the first N 2xx GET object responses: headers and
                            half the body, then a TCP reset (SO_LINGER 0)
  --slow-first-byte-ms MS --slow-first N
                            the first N responses wait MS before their first byte
  --flip-byte-at N          every 2xx GET object response with a Content-Length
                            has the byte at offset N of its body flipped (XOR
                            0x01), headers untouched: a proxy that damages data
  --max-body N              a request whose Content-Length exceeds N gets an
                            nginx-style 413 HTML page and the connection closes
                            (what the client sent is drained for up to 2 s)

--stats FILE gets a JSON of counts, rewritten (atomically) before the response
that changed it is sent, and at exit (SIGTERM/SIGINT). Python 3 stdlib only.
"""

import argparse
import json
import os
import select
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

SLOWDOWN_XML = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
                b"<Message>Please reduce your request rate.</Message>"
                b"<RequestId>fault</RequestId></Error>")
TOO_LARGE_HTML = (b"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n"
                  b"<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n"
                  b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


class Stats:
    """Counts, under a lock; every change is written to the stats file at once."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.data = {"requests": 0, "connections": 0, "methods": {}, "statuses": {},
                     "max_forwarded_body": 0,
                     "injected": {"slowdown": 0, "reset_mid_body": 0,
                                  "slow_first_byte": 0, "too_large": 0, "flipped": 0}}

    def write_locked(self):
        if not self.path:
            return
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def write(self):
        with self.lock:
            self.write_locked()


class Stream:
    """A socket with a read buffer: lines, exact reads, and whatever is there."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("peer closed the connection")
        self.buf += data

    def readline(self):
        while b"\n" not in self.buf:
            if len(self.buf) > 65536:
                raise ValueError("header line too long")
            self._fill()
        i = self.buf.index(b"\n") + 1
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def read_some(self, n):
        if not self.buf:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_head(self):
        """A start line and headers: (raw lines, {lowercased name: value})."""
        lines = [self.readline()]
        headers = {}
        while True:
            line = self.readline()
            if line in (b"\r\n", b"\n"):
                return lines, headers
            lines.append(line)
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()


def relay_fixed(src, dst, n):
    """Copies n body bytes from Stream src to socket dst (None: discard)."""
    while n > 0:
        data = src.read_some(min(n, 65536))
        n -= len(data)
        if dst is not None:
            dst.sendall(data)


def relay_chunked(src, dst):
    """Copies a chunked body as it is on the wire, trailers included."""
    while True:
        line = src.readline()
        if dst is not None:
            dst.sendall(line)
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            break
        relay_fixed(src, dst, size + 2)  # the data and its CRLF
    while True:  # trailers, up to the blank line
        line = src.readline()
        if dst is not None:
            dst.sendall(line)
        if line in (b"\r\n", b"\n"):
            return


def relay_body(src, dst, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        relay_chunked(src, dst)
    else:
        relay_fixed(src, dst, int(headers.get("content-length", "0") or 0))


def reset(sock):
    """Closes with a TCP RST instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.upstream = None  # (socket, Stream), opened on first use

    def finish(self):
        if self.upstream:
            self.upstream[0].close()

    def handle(self):
        st = self.server.stats
        with st.lock:
            st.data["connections"] += 1
            st.write_locked()
        client = Stream(self.request)
        try:
            while self.one_request(client):
                pass
        except (EOFError, OSError, ValueError) as e:
            if self.server.verbose:
                print(f"fault_proxy: connection ended: {e!r}", file=sys.stderr)

    def upstream_conn(self):
        # A kept-alive upstream connection that became readable was closed by
        # the gateway (or is out of step): open a new one.
        if self.upstream and select.select([self.upstream[0]], [], [], 0)[0]:
            self.upstream[0].close()
            self.upstream = None
        if not self.upstream:
            s = socket.create_connection(self.server.upstream_addr)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.upstream = (s, Stream(s))
        return self.upstream

    def one_request(self, client):
        """Serves one request; False when the client connection is to be closed."""
        lines, headers = client.read_head()
        method, target, _ = lines[0].decode("latin-1").split(" ", 2)
        length = int(headers.get("content-length", "0") or 0)
        a, st = self.server.args, self.server.stats
        with st.lock:  # every decision in request arrival order
            n = st.data["requests"] = st.data["requests"] + 1
            st.data["methods"][method] = st.data["methods"].get(method, 0) + 1
            too_large = a.max_body is not None and length > a.max_body
            slowdown = not too_large and n <= a.slowdown_first
            slow = n <= a.slow_first and a.slow_first_byte_ms > 0
            path = urllib.parse.urlsplit(target).path
            get_object = method == "GET" and "/" in path.lstrip("/").rstrip("/")
            if too_large:
                st.data["injected"]["too_large"] += 1
            if slowdown:
                st.data["injected"]["slowdown"] += 1
            if slow:
                st.data["injected"]["slow_first_byte"] += 1
            st.write_locked()
        if self.server.verbose:
            print(f"fault_proxy: #{n} {method} {target} len={length} too_large={too_large} "
                  f"slowdown={slowdown} slow={slow}", file=sys.stderr)
        if slow:
            time.sleep(a.slow_first_byte_ms / 1000)

        if too_large:  # like nginx's client_max_body_size: answer, then linger
            self.count_status(413)
            self.request.sendall(
                b"HTTP/1.1 413 Request Entity Too Large\r\nServer: nginx\r\n"
                b"Content-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                % len(TOO_LARGE_HTML) + TOO_LARGE_HTML)
            self.request.shutdown(socket.SHUT_WR)
            self.request.settimeout(2)
            try:
                while client.read_some(65536):
                    pass
            except (EOFError, OSError):
                pass
            return False

        if slowdown:
            relay_body(client, None, headers)  # keep the connection usable
            self.count_status(503)
            extra = b"Retry-After: 1\r\n" if a.retry_after else b""
            self.request.sendall(
                b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                b"x-amz-request-id: fault\r\n" + extra +
                b"Content-Length: %d\r\n\r\n" % len(SLOWDOWN_XML) + SLOWDOWN_XML)
            return "close" not in headers.get("connection", "").lower()

        # Forward. Expect: 100-continue is answered here, not by the gateway.
        up, up_stream = self.upstream_conn()
        expect = "100-continue" in headers.get("expect", "").lower()
        out = b"".join(l for l in lines if not l.lower().startswith(b"expect:"))
        up.sendall(out + b"\r\n")
        if expect:
            self.request.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        relay_body(client, up, headers)
        with st.lock:
            st.data["max_forwarded_body"] = max(st.data["max_forwarded_body"], length)

        while True:  # the answer, past any 1xx
            rlines, rheaders = up_stream.read_head()
            status = int(rlines[0].split(b" ", 2)[1])
            if status >= 200:
                break
        self.count_status(status)
        head = b"".join(rlines) + b"\r\n"
        bodyless = method == "HEAD" or status in (204, 304)
        framed = "content-length" in rheaders or "chunked" in rheaders.get(
            "transfer-encoding", "").lower()
        keep = "close" not in rheaders.get("connection", "").lower() and (framed or bodyless)

        if get_object and 200 <= status < 300 and not bodyless:
            with st.lock:
                do_reset = st.data["injected"]["reset_mid_body"] < a.reset_mid_body_first
                if do_reset:
                    st.data["injected"]["reset_mid_body"] += 1
                    st.write_locked()
            if do_reset:
                if "content-length" in rheaders:
                    half = int(rheaders["content-length"]) // 2
                    self.request.sendall(head)
                    relay_fixed(up_stream, self.request, half)
                else:  # chunked: take it whole, send half of the wire bytes
                    sink = _Collect()
                    relay_chunked(up_stream, sink)
                    self.request.sendall(head + sink.data[:len(sink.data) // 2])
                up.close()
                self.upstream = None
                reset(self.request)
                return False

        self.request.sendall(head)
        length = int(rheaders.get("content-length", "-1") or -1)
        if (get_object and 200 <= status < 300 and not bodyless and a.flip_byte_at is not None
                and 0 <= a.flip_byte_at < length):
            relay_fixed(up_stream, self.request, a.flip_byte_at)
            byte = up_stream.read_some(1)
            self.request.sendall(bytes([byte[0] ^ 1]))
            relay_fixed(up_stream, self.request, length - a.flip_byte_at - 1)
            with st.lock:
                st.data["injected"]["flipped"] += 1
                st.write_locked()
        elif bodyless:
            pass
        elif framed:
            relay_body(up_stream, self.request, rheaders)
        else:  # delimited by the close of the connection
            try:
                while True:
                    self.request.sendall(up_stream.read_some(65536))
            except EOFError:
                pass
        if not keep:
            up.close()
            self.upstream = None
            return False
        return "close" not in headers.get("connection", "").lower()

    def count_status(self, status):
        st = self.server.stats
        with st.lock:
            key = str(status)
            st.data["statuses"][key] = st.data["statuses"].get(key, 0) + 1
            st.write_locked()


class _Collect:
    def __init__(self):
        self.data = b""

    def sendall(self, b):
        self.data += b


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--upstream", required=True, help="http://HOST:PORT of the gateway")
    p.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    p.add_argument("--stats", help="JSON file of counts, rewritten on each change")
    p.add_argument("--slowdown-first", type=int, default=0, metavar="N")
    p.add_argument("--retry-after", action="store_true", help="add Retry-After: 1 to SlowDown")
    p.add_argument("--reset-mid-body-first", type=int, default=0, metavar="N")
    p.add_argument("--slow-first-byte-ms", type=int, default=0, metavar="MS")
    p.add_argument("--slow-first", type=int, default=0, metavar="N")
    p.add_argument("--max-body", type=int, default=None, metavar="BYTES")
    p.add_argument("--flip-byte-at", type=int, default=None, metavar="OFFSET")
    p.add_argument("-v", "--verbose", action="store_true", help="log each request to stderr")
    args = p.parse_args()

    up = urllib.parse.urlsplit(args.upstream)
    if up.scheme != "http" or not up.hostname:
        p.error("--upstream must be http://HOST[:PORT]")
    server = Server(("127.0.0.1", args.port), Handler)
    server.upstream_addr = (up.hostname, up.port or 80)
    server.args, server.verbose = args, args.verbose
    server.stats = Stats(args.stats)
    server.stats.write()

    def stop(*_):
        server.stats.write()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
