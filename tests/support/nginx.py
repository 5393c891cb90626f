"""A real nginx (Debian's package) in front of the test gateway, for the
tests that need a router: a body-size limit, a rate limit, TLS.

Import it after `sys.path.insert(0, <tests/support>)`, like gwtest.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse

from gwtest import free_port


class Nginx:
    """nginx in the foreground on free loopback ports, proxying to `upstream`.

    `http_extra` and `server_extra` are pasted into the http and server
    blocks; `max_body` is client_max_body_size ("0": no limit). With `tls`, a
    (certificate, key) pair of paths, every port terminates TLS. The access
    log holds "PORT STATUS" per request.
    """

    def __init__(self, tmp, upstream, http_extra="", server_extra="", max_body="0", ports=1,
                 tls=None):
        self.dir = d = os.path.join(tmp, "nginx")
        os.makedirs(d)
        self.ports = [free_port() for _ in range(ports)]
        up = urllib.parse.urlsplit(upstream)
        user = "user root;\n" if os.geteuid() == 0 else ""
        ssl = " ssl" if tls else ""
        listens = "".join(f"    listen 127.0.0.1:{p}{ssl};\n" for p in self.ports)
        certs = f"    ssl_certificate {tls[0]};\n    ssl_certificate_key {tls[1]};\n" if tls else ""
        conf = f"""{user}worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 256; }}
http {{
  log_format ports '$server_port $status';
  access_log {d}/access.log ports;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  {http_extra}
  server {{
{listens}{certs}    client_max_body_size {max_body};
    {server_extra}
    location / {{
      proxy_pass http://{up.hostname}:{up.port};
      proxy_set_header Host $http_host;
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_buffering off;
    }}
  }}
}}
"""
        path = os.path.join(d, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-p", d, "-c", path, "-e", f"{d}/error.log"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        scheme = "https" if tls else "http"
        self.urls = [f"{scheme}://127.0.0.1:{p}" for p in self.ports]
        self.url = self.urls[0]
        deadline = time.monotonic() + 10
        while not self._listening():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode() if self.proc.poll() is not None else ""
                self.stop()
                raise RuntimeError(f"nginx did not start: {err}")
            time.sleep(0.1)

    def _listening(self):
        for p in self.ports:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", p)) != 0:
                    return False
        return True

    def requests_by_port(self):
        """The statuses nginx logged, by the port the request came in on."""
        counts = {}
        with open(os.path.join(self.dir, "access.log")) as f:
            for line in f:
                port, status = line.split()
                counts.setdefault(int(port), []).append(int(status))
        return counts

    def statuses(self):
        """The status of every request nginx logged, in order."""
        with open(os.path.join(self.dir, "access.log")) as f:
            return [int(line.split()[1]) for line in f if line.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()
