#!/usr/bin/env python3
"""Opens many connections to a unix socket and holds them (fd exhaustion and
slowloris, issue 9 item 9). Half send nothing, half send a request one byte
a second; a full backlog is retried for 4 s. Prints one JSON line: how many connections were made, answered
503 at once, closed by the server (no answer), or still open at the end.
    connflood.py SOCKET COUNT HOLD_SECONDS"""
import json, os, select, socket, sys, time

path, count, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
conns, failed, backlog_full = [], 0, 0
# a full listen backlog (EAGAIN) is retried for a few seconds: the point is
# to hold COUNT connections, as many as the daemon will accept
give_up = time.time() + 4
while len(conns) < count and time.time() < give_up:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
    except BlockingIOError:
        backlog_full += 1
        s.close()
        time.sleep(0.005)
        continue
    except OSError:
        failed += 1
        s.close()
        time.sleep(0.005)
        continue
    conns.append([s, b"", False])   # socket, what came back, closed by the server
request = b"GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n"
start = time.time()
step = 0
poller = select.epoll()
for i, c in enumerate(conns):
    poller.register(c[0].fileno(), select.EPOLLIN)
byfd = {c[0].fileno(): c for c in conns}
while time.time() - start < hold:
    for fd, _ in poller.poll(0.2):
        c = byfd[fd]
        try:
            data = c[0].recv(4096)
        except OSError:
            data = b""
        if data:
            c[1] += data
        else:
            c[2] = True
            poller.unregister(fd)
    if time.time() - start >= step:
        # the slow half: one byte of a request a second
        for i, c in enumerate(conns):
            if i % 2 and not c[2] and step < len(request):
                try:
                    c[0].send(request[step:step + 1])
                except OSError:
                    pass
        step += 1
refused = sum(1 for c in conns if c[1].startswith(b"HTTP/1.1 503"))
answered = sum(1 for c in conns if c[1] and not c[1].startswith(b"HTTP/1.1 503"))
closed = sum(1 for c in conns if c[2] and not c[1])
still = sum(1 for c in conns if not c[2])
print(json.dumps({"connected": len(conns), "connect_failed": failed, "backlog_full": backlog_full, "refused_503": refused,
                  "answered_other": answered, "closed_silently": closed, "open_at_end": still}))
for c in conns:
    c[0].close()
