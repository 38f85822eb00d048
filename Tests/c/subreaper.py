#!/usr/bin/env python3
"""subreaper.py OUT CMD...: runs CMD as a child subreaper, as an engine's shim
does, and reaps every descendant until none is left, writing "PID CODE" to OUT
for each (CODE: the exit code, or -N for signal N). Tests of the handed-off
init (docs/architecture.md, "Process model") read OUT."""
import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("subreaper: prctl: " + os.strerror(ctypes.get_errno()))
out = open(sys.argv[1], "w", buffering=1)
subprocess.Popen(sys.argv[2:], close_fds=False)  # fds 3+ too: the sync fd
while True:
    try:
        pid, status = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    out.write(f"{pid} {os.waitstatus_to_exitcode(status)}\n")
