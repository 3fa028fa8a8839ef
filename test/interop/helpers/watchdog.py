#!/usr/bin/python3
"""Runs a command and kills it when our parent dies or our stdin closes.

For clients that drop privileges (opentracker refuses to run as root and
switches to `nobody`), which clears PR_SET_PDEATHSIG: this watchdog keeps
root's right to kill the child and does so as soon as the test process is
gone. SIGTERM and SIGINT are forwarded; the child's exit status is ours.

Usage: /usr/bin/python3 watchdog.py <command> [args...]
"""

import os
import signal
import stat
import subprocess
import sys
import threading
import time


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    parent = os.getppid()
    child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)

    def kill_child_and_exit():
        try:
            child.kill()
            child.wait(timeout=5)
        except Exception:
            pass
        os._exit(0)

    def poll_parent():
        while True:
            if os.getppid() != parent:
                kill_child_and_exit()
            time.sleep(0.5)

    def read_stdin():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        kill_child_and_exit()

    def forward(signum, _frame):
        try:
            child.send_signal(signum)
        except Exception:
            pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    threading.Thread(target=poll_parent, daemon=True).start()
    mode = os.fstat(0).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        threading.Thread(target=read_stdin, daemon=True).start()
    code = child.wait()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.stdout.flush()
    os._exit(main())
