#!/usr/bin/env python3
"""A registry stand-in for the failure and auth tests, on 127.0.0.1.

  standin.py MODE PORTFILE [UPSTREAM]

Binds a free port, writes it to PORTFILE, then serves until killed:
  bearer    in front of UPSTREAM: /v2/... answers 401 with a Bearer challenge
            unless `Authorization: Bearer good-token`; GET /token gives that
            token only to Basic nest:secret (else 401), and asks for the
            service and scope the challenge named.
  status500 every request answers 500.
  hang      reads the request and never answers.
  corrupt   in front of UPSTREAM, with one byte changed in every blob larger
            than 4 KiB (the layers, not the config): same size, wrong digest.
  redirect  in front of UPSTREAM, with every blob a 307 to UPSTREAM itself,
            as registries send blobs to their storage.
Every request is logged to stderr (method, path, Authorization scheme).
"""
import base64, http.server, sys, threading, time, urllib.error, urllib.request

MODE, PORTFILE = sys.argv[1], sys.argv[2]
UPSTREAM = sys.argv[3] if len(sys.argv) > 3 else ""
TOKEN = "good-token"
BASIC = "Basic " + base64.b64encode(b"nest:secret").decode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        auth = self.headers.get("Authorization", "").split(" ")[0] or "-"
        sys.stderr.write("%s %s %s\n" % (self.command, self.path, auth))
        sys.stderr.flush()

    def log_request(self, code="-", size="-"):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def upstream(self):
        req = urllib.request.Request(UPSTREAM + self.path, method=self.command)
        accept = self.headers.get_all("Accept") or []
        if accept:
            req.add_header("Accept", ", ".join(accept))
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, r.read(), [(k, v) for k, v in r.getheaders()
                                            if k.lower() in ("content-type", "docker-content-digest")]
        except urllib.error.HTTPError as e:
            return e.code, e.read(), [("Content-Type", e.headers.get("Content-Type", "application/json"))]

    def do_GET(self):
        self.log_message("")
        is_blob = "/blobs/" in self.path
        if MODE == "status500":
            return self.reply(500, b'{"errors":[{"code":"UNKNOWN","message":"stand-in failure"}]}',
                              [("Content-Type", "application/json")])
        if MODE == "hang":
            time.sleep(600)
            return
        if MODE == "bearer":
            host = "127.0.0.1:%d" % self.server.server_port
            if self.path.startswith("/token"):
                if self.headers.get("Authorization") != BASIC:
                    return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}')
                if "service=standin" not in self.path or "scope=repository" not in self.path:
                    return self.reply(400, b"missing service or scope")
                return self.reply(200, b'{"token":"%s"}' % TOKEN.encode(), [("Content-Type", "application/json")])
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                repo = self.path.split("/")[2:-2]
                challenge = 'Bearer realm="http://%s/token",service="standin",scope="repository:%s:pull"' % (host, "/".join(repo))
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', [("WWW-Authenticate", challenge)])
        if MODE == "redirect" and is_blob:
            return self.reply(307, b"", [("Location", UPSTREAM + self.path)])
        status, body, headers = self.upstream()
        if MODE == "corrupt" and is_blob and status == 200 and len(body) > 4096:
            i = len(body) // 2
            body = body[:i] + bytes([body[i] ^ 0xFF]) + body[i + 1:]
        self.reply(status, body, headers)

    do_HEAD = do_GET


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_port))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
