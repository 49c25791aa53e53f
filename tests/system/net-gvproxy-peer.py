#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""net-gvproxy-peer.py SOCK: a test peer speaking gvproxy's vfkit protocol.

gvproxy is not packaged for Debian. This peer follows the same protocol on
its side: it binds a unix datagram socket at SOCK, waits for the VM's
4-byte "VFKT" greeting (whose source address is where frames go back),
then carries one Ethernet frame per datagram. Behind it runs passt on a
socketpair with qemu stream framing (4-byte big-endian length + frame), so
the guest gets a working network only if the datagram side is right.
"""
import select
import socket
import subprocess
import sys

path = sys.argv[1]
dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
dgram.bind(path)
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
passt = subprocess.Popen(["passt", "-f", "-q", "--fd", str(theirs.fileno())],
                         pass_fds=[theirs.fileno()],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
theirs.close()

greeting, vm = dgram.recvfrom(65536)
if greeting != b"VFKT":
    sys.exit("peer: expected the VFKT greeting, got %r" % greeting[:16])
pending = b""
try:
    while True:
        ready, _, _ = select.select([dgram, ours], [], [])
        if dgram in ready:
            frame = dgram.recv(65600)
            ours.sendall(len(frame).to_bytes(4, "big") + frame)
        if ours in ready:
            data = ours.recv(262144)
            if not data:
                break
            pending += data
            while len(pending) >= 4:
                n = int.from_bytes(pending[:4], "big")
                if len(pending) < 4 + n:
                    break
                dgram.sendto(pending[4:4 + n], vm)
                pending = pending[4 + n:]
except OSError:
    pass
finally:
    passt.kill()
    passt.wait()
