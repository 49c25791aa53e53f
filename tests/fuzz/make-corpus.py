#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write the seed corpora under tests/fuzz/corpus/<target>/.

Usage: make-corpus.py BUILD_DIR

Seeds are small valid inputs in each harness's input format (see the
comment at the top of each fuzz_*.c); the guest_config seeds are what the
host encoder makes of the spec seeds (BUILD_DIR/tests/fuzz/encode_config).
Existing files with other names (regression inputs) are left alone.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'corpus')
FIXTURES = os.path.join(HERE, '..', 'unit', 'lib', 'fixtures')


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---- FUSE (fuzz_fuse.c) ----
OP = dict(LOOKUP=1, FORGET=2, GETATTR=3, SETATTR=4, READLINK=5, SYMLINK=6,
          MKNOD=8, MKDIR=9, UNLINK=10, RMDIR=11, RENAME=12, LINK=13, OPEN=14,
          READ=15, WRITE=16, STATFS=17, RELEASE=18, FSYNC=20, SETXATTR=21,
          GETXATTR=22, LISTXATTR=23, REMOVEXATTR=24, FLUSH=25, INIT=26,
          OPENDIR=27, READDIR=28, RELEASEDIR=29, FSYNCDIR=30, GETLK=31,
          SETLK=32, SETLKW=33, ACCESS=34, CREATE=35, DESTROY=38,
          BATCH_FORGET=42, FALLOCATE=43, READDIRPLUS=44, RENAME2=45,
          LSEEK=46, COPY_FILE_RANGE=47, SETUPMAPPING=48, REMOVEMAPPING=49)


class Fuse:
    def __init__(self, mode=0):
        self.out = bytes([mode])
        self.unique = 10

    def req(self, op, nodeid, args=b'', flags=0):
        self.unique += 1
        body = struct.pack('<IIQQIIIHH', 40 + len(args), OP[op], self.unique,
                           nodeid, 0, 0, 1, 0, 0) + args
        self.out += struct.pack('<HB', len(body), flags) + body
        return self


def z(s):
    return s.encode() + b'\0'


def read_in(fh, off, size):
    return struct.pack('<QQIIQII', fh, off, size, 0, 0, 0, 0)


def fuse_seeds():
    # nodeids in lookup order: file 2, dir 3, ...
    yield 'read', (Fuse().req('LOOKUP', 1, z('file'))
                   .req('GETATTR', 2, struct.pack('<IIQ', 0, 0, 0))
                   .req('OPEN', 2, struct.pack('<II', 0, 0))
                   .req('READ', 2, read_in(1, 0, 4096))
                   .req('FLUSH', 2, struct.pack('<QIIQ', 1, 0, 0, 0))
                   .req('RELEASE', 2, struct.pack('<QIIQ', 1, 0, 0, 0))
                   .req('FORGET', 2, struct.pack('<Q', 1)))
    yield 'readdir', (Fuse().req('LOOKUP', 1, z('dir'))
                      .req('OPENDIR', 2, struct.pack('<II', 0, 0))
                      .req('READDIR', 2, read_in(1, 0, 4096))
                      .req('READDIRPLUS', 2, read_in(1, 0, 4096))
                      .req('FSYNCDIR', 2, struct.pack('<QII', 1, 0, 0))
                      .req('RELEASEDIR', 2, struct.pack('<QIIQ', 1, 0, 0, 0)))
    setattr = struct.pack('<IIQQQQQQIIIIIIII', 0x8 | 0x1, 0, 0, 100, 0, 0, 0,
                          0, 0, 0, 0, 0o600, 0, 0, 0, 0)
    yield 'create_write', (Fuse().req('CREATE', 1, struct.pack('<IIII', 0o102, 0o644, 0o22, 0) + z('new'))
                           .req('WRITE', 2, struct.pack('<QQIIQII', 1, 0, 5, 0, 0, 0, 0) + b'hello')
                           .req('SETATTR', 2, setattr)
                           .req('FSYNC', 2, struct.pack('<QII', 1, 0, 0))
                           .req('RELEASE', 2, struct.pack('<QIIQ', 1, 0, 0, 0))
                           .req('UNLINK', 1, z('new')))
    yield 'dirs', (Fuse().req('MKDIR', 1, struct.pack('<II', 0o755, 0o22) + z('d'))
                   .req('SYMLINK', 2, z('s') + z('../file'))
                   .req('LOOKUP', 1, z('file'))
                   .req('LINK', 2, struct.pack('<Q', 4) + z('hard'))
                   .req('RENAME', 1, struct.pack('<Q', 2) + z('file') + z('moved'))
                   .req('RENAME2', 2, struct.pack('<QII', 1, 0, 0) + z('moved') + z('file'))
                   .req('UNLINK', 2, z('s'))
                   .req('UNLINK', 2, z('hard'))
                   .req('RMDIR', 1, z('d')))
    yield 'escape', (Fuse().req('LOOKUP', 1, z('rel'))
                     .req('READLINK', 2)
                     .req('OPEN', 2, struct.pack('<II', 2, 0))
                     .req('LOOKUP', 1, z('..'))
                     .req('LOOKUP', 1, z('dot'))
                     .req('LOOKUP', 1, z('abs'))
                     .req('LOOKUP', 1, z('dir'))
                     .req('LOOKUP', 5, z('up'))
                     .req('LOOKUP', 6, z('sentinel'))
                     .req('CREATE', 6, struct.pack('<IIII', 0o102, 0o644, 0, 0) + z('x'))
                     .req('LINK', 1, struct.pack('<Q', 2) + z('l')))
    yield 'xattr', (Fuse().req('LOOKUP', 1, z('file'))
                    .req('SETXATTR', 2, struct.pack('<II', 3, 0) + z('user.a') + b'abc')
                    .req('GETXATTR', 2, struct.pack('<II', 64, 0) + z('user.a'))
                    .req('LISTXATTR', 2, struct.pack('<II', 64, 0))
                    .req('REMOVEXATTR', 2, z('user.a')))
    lk = struct.pack('<QQQQIIII', 1, 7, 0, 100, 1, 1, 0, 0)
    yield 'locks', (Fuse().req('LOOKUP', 1, z('file'))
                    .req('OPEN', 2, struct.pack('<II', 2, 0))
                    .req('SETLK', 2, lk)
                    .req('GETLK', 2, struct.pack('<QQQQIIII', 1, 8, 0, 100, 1, 1, 0, 0))
                    .req('SETLKW', 2, struct.pack('<QQQQIIII', 1, 8, 0, 100, 1, 1, 0, 0))
                    .req('RELEASE', 2, struct.pack('<QIIQ', 1, 0, 0, 7)))
    yield 'space', (Fuse().req('CREATE', 1, struct.pack('<IIII', 0o102, 0o644, 0, 0) + z('a'))
                    .req('CREATE', 1, struct.pack('<IIII', 0o102, 0o644, 0, 0) + z('b'))
                    .req('FALLOCATE', 2, struct.pack('<QQQII', 1, 0, 8192, 0, 0))
                    .req('LSEEK', 2, struct.pack('<QQII', 1, 0, 3, 0))
                    .req('COPY_FILE_RANGE', 2, struct.pack('<QQQQQQQ', 1, 0, 3, 2, 0, 4096, 0)))
    yield 'misc', (Fuse().req('STATFS', 1)
                   .req('ACCESS', 1, struct.pack('<II', 4, 0))
                   .req('MKNOD', 1, struct.pack('<IIII', 0o10644, 0, 0, 0) + z('fifo'))
                   .req('LOOKUP', 1, z('fifo'))
                   .req('OPEN', 3, struct.pack('<II', 0, 0))
                   .req('BATCH_FORGET', 0, struct.pack('<IIQQ', 1, 0, 2, 1))
                   .req('DESTROY', 0))
    mib = 1 << 20
    yield 'dax', (Fuse(8).req('LOOKUP', 1, z('file'))
                  .req('SETUPMAPPING', 2, struct.pack('<QQQQQ', 2**64 - 1, 0, 2 * mib, 2, 0))
                  .req('SETUPMAPPING', 2, struct.pack('<QQQQQ', 2**64 - 1, 0, 2 * mib, 3, 4 * mib))
                  .req('SETUPMAPPING', 2, struct.pack('<QQQQQ', 2**64 - 1, 0, 4 * mib, 2, 6 * mib))
                  .req('REMOVEMAPPING', 2, struct.pack('<I', 2) + struct.pack('<QQ', 0, 2 * mib)
                       + struct.pack('<QQ', 4 * mib, 2 * mib))
                  .req('REMOVEMAPPING', 2, struct.pack('<I', 1) + struct.pack('<QQ', 6 * mib, 4 * mib)))
    yield 'malformed', (Fuse(4).req('LOOKUP', 1, b'noterm', flags=1)
                        .req('READ', 1, b'\0' * 8, flags=2 | 8)
                        .req('INIT', 0, struct.pack('<IIII', 7, 31, 0, 0), flags=16))


# ---- virtio (virtio_driver.c) ----
def vstart(features=0, qlog=4):
    return bytes([4]) + struct.pack('<IB', features, qlog)


def vmem(off, data):
    return bytes([3]) + struct.pack('<HB', off, len(data)) + data


def vchain(bufs):
    out = bytes([5, len(bufs) - 1])
    for off, ln, w in bufs:
        out += struct.pack('<HHB', off, ln, w)
    return out


def vread(off):
    return bytes([1]) + struct.pack('<HB', off, 2)


def virtio_seeds():
    probe = b''.join(vread(o) for o in (0, 4, 8, 0xc, 0x10, 0x34, 0x70, 0xfc, 0x100, 0x108))
    yield 'virtio_rng', 'probe', probe
    yield 'virtio_rng', 'read', vstart() + vchain([(0, 64, 1)]) + vchain([(0x100, 16, 1), (0x200, 16, 1)])
    yield 'virtio_rng', 'reset', vstart() + vchain([(0, 64, 1)]) + bytes([7]) + vstart(0, 2) + vchain([(0, 8, 1)])
    # virtio-balloon reporting (queue 3 with STATS_VQ | REPORTING): each
    # writable buffer is a free block; 0x1000 into the data area is a
    # page boundary of the harness's RAM.
    yield 'virtio_balloon', 'probe', probe
    yield 'virtio_balloon', 'report', (vstart(0x22) + vchain([(0x1000, 0x2000, 1)])
                                       + vchain([(0x3001, 0x1000, 1), (0x5000, 0x1000, 1)]))
    yield 'virtio_balloon', 'no_stats', vstart(0x20) + vchain([(0x1000, 0x1000, 1)])
    yield 'virtio_blk', 'probe', probe
    data = 0x4000

    def hdr(t, sector):
        return struct.pack('<IIQ', t, 0, sector)

    yield 'virtio_blk', 'read', (vstart() + vmem(data, hdr(0, 1))
                                 + vchain([(0, 16, 0), (0x100, 512, 1), (0x400, 1, 1)]))
    yield 'virtio_blk', 'write', (vstart() + vmem(data, hdr(1, 2)) + vmem(data + 0x100, b'x' * 32)
                                  + vchain([(0, 16, 0), (0x100, 512, 0), (0x400, 1, 1)])
                                  + vmem(data, hdr(4, 0)) + vchain([(0, 16, 0), (0x400, 1, 1)]))
    yield 'virtio_blk', 'get_id', (vstart() + vmem(data, hdr(8, 0))
                                   + vchain([(0, 16, 0), (0x100, 20, 1), (0x400, 1, 1)]))
    yield 'virtio_blk', 'past_end', (vstart() + vmem(data, hdr(0, 127))
                                     + vchain([(0, 16, 0), (0x100, 1024, 1), (0x400, 1, 1)]))
    # virtio-net TX: a virtio_net_hdr (12 bytes) then an Ethernet frame.
    frame = b'\xff' * 6 + b'\x52\x54\x00\x12\x34\x56' + b'\x08\x06' + b'\0' * 46
    yield 'virtio_net', 'probe', probe
    yield 'virtio_net', 'frame', (vstart() + vmem(data, b'\0' * 12 + frame)
                                  + vchain([(0, 12 + len(frame), 0)])
                                  + vchain([(0, 12, 0), (12, len(frame), 0)]))
    yield 'virtio_net', 'runt', vstart() + vmem(data, b'\0' * 20) + vchain([(0, 20, 0)])

    # virtio-vsock TX: 44-byte headers (src cid, dst cid, src port, dst
    # port, len, type, op, flags, buf_alloc, fwd_cnt).
    def vs(op, dst_port, length=0, src_port=40000):
        return struct.pack('<QQIIIHHIII', 3, 2, src_port, dst_port, length, 1, op, 0, 65536, 0)
    yield 'virtio_vsock', 'probe', probe
    yield 'virtio_vsock', 'connect', (vstart() + vmem(data, vs(1, 1234)) + vchain([(0, 44, 0)])
                                      + vmem(data, vs(5, 1234, 5) + b'hello') + vchain([(0, 49, 0)])
                                      + vmem(data, vs(4, 1234)) + vchain([(0, 44, 0)]))
    yield 'virtio_vsock', 'credit', (vstart() + vmem(data, vs(7, 5000)) + vchain([(0, 44, 0)])
                                     + vmem(data, vs(3, 5000)) + vchain([(0, 44, 0)])
                                     + vmem(data, vs(2, 5000, src_port=1)) + vchain([(0, 44, 0)]))


    # virtio-gpu control queue (features VIRGL | RESOURCE_BLOB = 0x9):
    # a 24-byte header (type, flags, fence_id, ctx_id, ring_idx) and the
    # command's body; the response buffer is writable.
    def gh(t, ctx=0, fence=None):
        return struct.pack('<IIQIB3x', t, 1 if fence else 0, fence or 0, ctx, 0)
    yield 'virtio_gpu', 'probe', probe
    ram = 0x10000
    yield 'virtio_gpu', 'display', (vstart(9) + vmem(data, gh(0x100))
                                    + vchain([(0, 24, 0), (0x400, 408, 1)]))
    yield 'virtio_gpu', 'flow_2d', (vstart(9)
        + vmem(data, gh(0x101) + struct.pack('<IIII', 1, 1, 16, 16))
        + vchain([(0, 40, 0), (0x400, 24, 1)])
        + vmem(data, gh(0x106) + struct.pack('<II', 1, 1) + struct.pack('<QII', ram + 0x8000, 1024, 0))
        + vchain([(0, 48, 0), (0x400, 24, 1)])
        + vmem(data, gh(0x105, fence=3) + struct.pack('<IIIIQII', 0, 0, 16, 16, 0, 1, 0))
        + vchain([(0, 56, 0), (0x400, 24, 1)])
        + vmem(data, gh(0x102) + struct.pack('<II', 1, 0))
        + vchain([(0, 32, 0), (0x400, 24, 1)]))
    yield 'virtio_gpu', 'ctx_submit', (vstart(9)
        + vmem(data, gh(0x200, ctx=1) + struct.pack('<II', 4, 0) + b'fuzz' + b'\0' * 60)
        + vchain([(0, 96, 0), (0x400, 24, 1)])
        + vmem(data, gh(0x207, ctx=1, fence=7) + struct.pack('<II', 8, 0) + b'\1' * 8)
        + vchain([(0, 40, 0), (0x400, 24, 1)])
        + vmem(data, gh(0x108) + struct.pack('<II', 1, 0))
        + vchain([(0, 32, 0), (0x400, 40, 1)])
        + vmem(data, gh(0x109) + struct.pack('<II', 2, 2))
        + vchain([(0, 32, 0), (0x400, 88, 1)]))
    yield 'virtio_gpu', 'blob', (vstart(9)
        + vmem(data, gh(0x200, ctx=1) + b'\0' * 72) + vchain([(0, 96, 0), (0x400, 24, 1)])
        + vmem(data, gh(0x10c, ctx=1) + struct.pack('<IIIIQQ', 5, 2, 1, 0, 0, 8192))
        + vchain([(0, 56, 0), (0x400, 24, 1)])
        + vmem(data, gh(0x208) + struct.pack('<IIQ', 5, 0, 4096))
        + vchain([(0, 40, 0), (0x400, 32, 1)])
        + vmem(data, gh(0x10c, ctx=1) + struct.pack('<IIIIQQ', 6, 2, 1, 0, 0, 4096))
        + vchain([(0, 56, 0), (0x400, 24, 1)])
        + vmem(data, gh(0x208) + struct.pack('<IIQ', 6, 0, 8192))
        + vchain([(0, 40, 0), (0x400, 32, 1)])
        + vmem(data, gh(0x209) + struct.pack('<II', 5, 0))
        + vchain([(0, 32, 0), (0x400, 24, 1)]))

# ---- spec, cli, guest config, ELF ----
SPECS = {
    'minimal.json': '{"process":{"args":["/bin/sh","-c","true"]},"root":{"path":"/srv/root"}}',
    'krun.json': '{"process":{"args":["sh"],"env":["A=1","PATH=/bin"],"cwd":"/tmp",'
                 '"user":{"uid":1000,"gid":100},"rlimits":[{"type":"RLIMIT_NOFILE","hard":4096,"soft":1024}]},'
                 '"hostname":"g1","root":{"path":"rootfs","readonly":true},'
                 '"krun":{"vcpus":2,"memory":"1G","net":{"mode":"passt"},"ports":["8080:80"],'
                 '"volumes":[{"tag":"data","hostPath":"/srv/data","guestPath":"/mnt/data","readonly":true}],"vsock":[{"port":1234,"path":"/tmp/s"}]}}',
    'disk.json': '{"process":{"args":["/bin/true"]},'
                 '"krun":{"disks":[{"id":"root","path":"/img","format":"raw","root":true,"readonly":false}]}}',
}

CLIS = {
    'run': ['--root', '/r', '--', '/bin/sh', '-c', 'exit 3'],
    'flags': ['--cpus', '2', '--memory', '512M', '-e', 'A=1', '-e', 'HOME', '-w', '/tmp',
              '--hostname', 'h', '--user', '1000:100', '--rlimit', 'NOFILE=10:20',
              '-p', '8080:80', '--mac', '52:54:00:12:34:56', '--root', '/r', 'true'],
    'disks': ['--disk', 'data:/img:ro', '--root-disk', 'data', '-v', '/h:/g:ro',
              '--vsock', '1234:/tmp/s', '--net', 'none', '--log-level', 'debug', 'sh'],
    'misc': ['--gpu=3', '--gpu-shm', '1G', '--sound', '--tee-config', '/t', '--smbios-oem', 'x',
             '--kernel', '/k', '--kernel-log', '--console-output', '/c', '--read-only',
             '--root', '/r', '--print-config', 'sh'],
    'bad': ['--cpu', '--memory', '--unknown', '-x'],
}


def elf(segments, entry):
    phnum = len(segments)
    ehdr = (b'\x7fELF' + bytes([2, 1, 1, 0]) + b'\0' * 8
            + struct.pack('<HHIQQQIHHHHHH', 2, 62, 1, entry, 64, 0, 0, 64, 56,
                          phnum, 64, 0, 0))
    off = 64 + 56 * phnum
    ph = b''
    data = b''
    for paddr, payload, memsz in segments:
        ph += struct.pack('<IIQQQQQQ', 1, 7, off + len(data), paddr, paddr,
                          len(payload), memsz, 0x1000)
        data += payload
    return ehdr + ph + data


# qcow2 images made by qemu-img (512-byte clusters keep them small), with
# data written by qemu-io: (name, -o options, qemu-io commands).
QCOW2_SEEDS = [
    ('empty', 'cluster_size=512', []),
    ('data', 'cluster_size=512', ['write -P 0x5a 0 2k', 'write -z 4k 1k']),
    ('v2', 'cluster_size=512,compat=0.10', ['write -P 0x11 512 512']),
    ('refcount1', 'cluster_size=512,refcount_bits=1', ['write -P 0x22 0 1k']),
]


def qcow2_image(opts, writes):
    with tempfile.TemporaryDirectory() as d:
        img = os.path.join(d, 'seed.qcow2')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-o', opts, img, '64K'],
                       check=True)
        for w in writes:
            subprocess.run(['qemu-io', '-c', w, img], check=True, stdout=subprocess.DEVNULL)
        with open(img, 'rb') as f:
            return f.read()


def bzimage(pref, init_size, kernel, setup_sects=1):
    """A setup area (boot protocol 2.15, 64-bit entry) and a kernel."""
    setup = bytearray((setup_sects + 1) * 512)
    setup[0x1f1] = setup_sects
    struct.pack_into('<I', setup, 0x1f4, len(kernel) // 16)
    struct.pack_into('<H', setup, 0x1fe, 0xaa55)
    setup[0x200:0x202] = bytes([0xeb, 0x66])  # header through 0x268
    setup[0x202:0x206] = b'HdrS'
    struct.pack_into('<H', setup, 0x206, 0x020f)
    setup[0x211] = 0x01  # LOADED_HIGH
    struct.pack_into('<I', setup, 0x230, 0x200000)
    setup[0x234] = 1
    struct.pack_into('<H', setup, 0x236, 0x01)  # XLF_KERNEL_64
    struct.pack_into('<Q', setup, 0x258, pref)
    struct.pack_into('<I', setup, 0x260, init_size)
    return bytes(setup) + kernel


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = sys.argv[1]
    for name, f in fuse_seeds():
        write('fuse', name, f.out)
    for target, name, data in virtio_seeds():
        write(target, name, data)
    specs = dict(SPECS)
    for fx in sorted(os.listdir(FIXTURES)):
        if fx.endswith('.json'):
            with open(os.path.join(FIXTURES, fx)) as f:
                specs[fx] = f.read()
    for name, text in specs.items():
        write('spec', name, text)
        write('guest_config_roundtrip', name, text)
    for name, args in CLIS.items():
        write('cli', name, '\0'.join(args))
    enc = os.path.join(build, 'tests', 'fuzz', 'encode_config')
    for name in specs:
        out = os.path.join(CORPUS, 'guest_config', name.replace('.json', '.cfg'))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        r = subprocess.run([enc, os.path.join(CORPUS, 'spec', name), out])
        if r.returncode != 0:
            print(f'make-corpus: {name}: not encodable, skipped', file=sys.stderr)
    for name, opts, writes in QCOW2_SEEDS:
        write('qcow2', name, b'\0' + qcow2_image(opts, writes))
        write('qcow2', name + '-ro', b'\1' + qcow2_image(opts, writes))
    write('bzimage', 'minimal', bzimage(0x1000000, 0x100000, b'\xf4' * 4096))
    write('bzimage', 'low', bzimage(0x110000, 0x2000, b'\x90' * 512))
    write('elf_loader', 'one_segment', elf([(0x110000, b'\xf4' * 16, 0x1000)], 0x110000))
    write('elf_loader', 'two_regions', elf([(0x120000, b'\x90' * 32, 0x2000),
                                            (0x400000, b'\xcc' * 8, 0x100)], 0x400004))
    return 0


if __name__ == '__main__':
    sys.exit(main())
