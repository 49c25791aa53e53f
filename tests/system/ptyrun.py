#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ptyrun.py [options] -- CMD [ARG...]: runs CMD and reports how it ended.

Used by the system tests (inside the test host) where bash cannot tell an
exit status 128+N from a death by signal N, and to drive a terminal.

  --pidfile F   write CMD's pid to F once it runs
  --status F    write "exit N", "signal N" or "timeout" to F when it ends
  --out F, --err F   CMD's stdout and stderr (no --pty; default /dev/null)
  --timeout S   SIGKILL CMD after S seconds (default 300): "timeout"

With --pty, CMD runs as a session leader on a new pseudo-terminal (stdin,
stdout and stderr; its controlling terminal), --size ROWSxCOLS set before
it starts, and the steps given with --do run in order:

  wait:TEXT     until the terminal output holds TEXT after the last match
                (the step fails at --timeout; use it for the first output)
  waitq:TEXT    the same, failing after --step-timeout (default 30 s)
  send:TEXT     type TEXT (Python escapes: \\x03 is Ctrl-C)
  resize:RxC    set the window size (the kernel sends SIGWINCH)
  kill:SIG      send SIG (TERM, INT, HUP, ...) to CMD
  stty:NAME     record the terminal's settings as NAME

The transcript goes to --out. On stdout, one line each: "stty before
...", "stty NAME ...", "stty after ..." (termios as a Python list, read
through the master: Linux returns the terminal side's settings), "raw
NAME yes|no" (ICANON, ECHO and ISIG all off), "step N ok|failed STEP",
"ended S" (seconds from the last kill step to CMD's end) and the status
line. A failed step does not stop the ones after it; once the steps are
done, CMD gets --end-timeout seconds (default 60) to end, then SIGKILL.
"""
import argparse
import codecs
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import time


def write_file(path, text):
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")


def describe(status):
    if os.WIFSIGNALED(status):
        return "signal %d" % os.WTERMSIG(status)
    return "exit %d" % os.WEXITSTATUS(status)


def set_size(fd, spec):
    rows, cols = (int(x) for x in spec.split("x"))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def is_raw(attrs):
    lflag = attrs[3]
    return not lflag & (termios.ICANON | termios.ECHO | termios.ISIG)


class Pty:
    def __init__(self, args):
        self.args = args
        self.master, self.slave = os.openpty()
        set_size(self.slave, args.size)
        self.buf = b""
        self.seen = 0
        self.log = open(args.out or os.devnull, "wb")
        self.pid = None
        self.status = None
        self.kill_time = None

    def spawn(self, cmd):
        pid = os.fork()
        if pid == 0:
            os.setsid()
            fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
            for fd in range(3):
                os.dup2(self.slave, fd)
            os.close(self.master)
            if self.slave > 2:
                os.close(self.slave)
            try:
                os.execvp(cmd[0], cmd)
            finally:
                os._exit(127)
        self.pid = pid

    def pump(self, timeout):
        """Reads what the terminal has; reaps CMD. False when CMD ended."""
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            self.buf += data
            self.log.write(data)
            self.log.flush()
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = describe(status)
        return self.status is None

    def wait_text(self, text, deadline):
        want = text.encode()
        while time.monotonic() < deadline:
            i = self.buf.find(want, self.seen)
            if i >= 0:
                self.seen = i + len(want)
                return True
            if not self.pump(0.1) and not select.select([self.master], [], [], 0)[0]:
                return self.buf.find(want, self.seen) >= 0
        return False

    def wait_end(self, deadline):
        while self.status is None and time.monotonic() < deadline:
            self.pump(0.1)
        # Drain what is left on the terminal.
        while select.select([self.master], [], [], 0.2)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            self.buf += data
            self.log.write(data)
        self.log.flush()


def run_pty(args, cmd):
    p = Pty(args)
    print("stty before %s" % termios.tcgetattr(p.master), flush=True)
    p.spawn(cmd)
    write_file(args.pidfile, str(p.pid))
    deadline = time.monotonic() + args.timeout
    for n, step in enumerate(args.do, 1):
        kind, _, arg = step.partition(":")
        ok = True
        if kind == "wait":
            ok = p.wait_text(arg, deadline)
        elif kind == "waitq":
            ok = p.wait_text(arg, min(deadline, time.monotonic() + args.step_timeout))
        elif kind == "send":
            os.write(p.master, codecs.decode(arg, "unicode_escape").encode("latin-1"))
        elif kind == "resize":
            set_size(p.master, arg)
        elif kind == "kill":
            p.kill_time = time.monotonic()
            os.kill(p.pid, getattr(signal, "SIG" + arg))
        elif kind == "stty":
            attrs = termios.tcgetattr(p.master)
            print("stty %s %s" % (arg, attrs))
            print("raw %s %s" % (arg, "yes" if is_raw(attrs) else "no"))
        else:
            print("ptyrun: unknown step %r" % step, file=sys.stderr)
            ok = False
        print("step %d %s %s" % (n, "ok" if ok else "failed", step), flush=True)
    p.wait_end(min(deadline, time.monotonic() + args.end_timeout))
    if p.status is None:
        os.kill(p.pid, signal.SIGKILL)
        os.waitpid(p.pid, 0)
        p.status = "timeout"
    if p.kill_time is not None:
        print("ended %.1f" % (time.monotonic() - p.kill_time))
    print("stty after %s" % termios.tcgetattr(p.master))
    return p.status


def run_plain(args, cmd):
    stdin = os.open(os.devnull, os.O_RDONLY)
    out = os.open(args.out or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(args.err or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    pid = os.fork()
    if pid == 0:
        for i, fd in enumerate((stdin, out, err)):
            os.dup2(fd, i)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    write_file(args.pidfile, str(pid))
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return describe(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "timeout"


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("--pty", action="store_true")
    ap.add_argument("--size", default="24x80")
    ap.add_argument("--do", action="append", default=[])
    ap.add_argument("--pidfile")
    ap.add_argument("--status")
    ap.add_argument("--out")
    ap.add_argument("--err")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--step-timeout", type=float, default=30)
    ap.add_argument("--end-timeout", type=float, default=60)
    ap.add_argument("cmd", nargs="+")
    args = ap.parse_args()
    status = run_pty(args, args.cmd) if args.pty else run_plain(args, args.cmd)
    write_file(args.status, status)
    print("status %s" % status)


if __name__ == "__main__":
    main()
