#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check the layering rules of docs/ARCHITECTURE.md over a source tree.

Usage: check-layering.py SOURCE_ROOT

Scans every .c and .h file under cmd/, lib/, hw/, virtio/ and util/ and
prints one line per violation, `file:line: rule: detail`, then exits 1;
exits 0 (with a one-line summary) when the tree follows the rules:

  include   a file includes only its own layer or layers below it
            (cmd > lib > hw, virtio > util); hw/ never includes virtio/;
            virtio/ includes from hw/ only the headers in VIRTIO_MAY_INCLUDE.
  exit      nothing outside cmd/ ends the process (exit, _exit, _Exit,
            quick_exit, abort, exit_group) except the places in EXIT_ALLOWED.
  init      cmd/krun-init/ includes from lib/, hw/, virtio/ only the
            headers in INIT_SHARED; no other file includes cmd/krun-init/;
            the headers in INIT_SHARED include nothing from lib/, hw/,
            virtio/ or cmd/ themselves.

Includes are resolved like the compiler does with `-I SOURCE_ROOT`:
"x.h" first next to the including file, then from the root; <x.h> only
from the root. Files that do not resolve into the tree (system headers,
generated headers such as configs/kernel_path.h) are not layered.
"""
import os
import re
import sys

LAYERS = {'cmd': 3, 'lib': 2, 'hw': 1, 'virtio': 1, 'util': 0}

# virtio/ shares guest memory and the I/O bus with hw/, nothing else.
VIRTIO_MAY_INCLUDE = {'hw/kvm/guest_mem.h', 'hw/kvm/io_bus.h'}

# The wire format between the host and the guest init.
INIT_SHARED = {'lib/guest_abi.h'}
INIT_DIR = 'cmd/krun-init/'

# (file, enclosing function, call) -> why it may end the process.
EXIT_ALLOWED = {
    ('lib/api/api.c', 'krun_start_enter', 'exit'):
        'libkrun API: krun_start_enter() does not return on success, it '
        'exits the calling process with the workload\'s status '
        '(lib/api/libkrun.h)',
    ('lib/vmm/net_passt.c', 'child', '_exit'):
        'the forked child that execs passt ends itself when the exec '
        'fails (style rule 2: a forked child may _exit)',
    ('lib/vmm/vmm_janitor.c', 'janitor_main', '_exit'):
        'the forked janitor process ends itself once the VMM is gone '
        '(style rule 2: a forked child may _exit)',
    ('lib/vmm/seccomp.c', 'report_violation', 'exit_group'):
        'the SIGSYS handler of the VMM\'s seccomp filters: a confined '
        'thread made a forbidden system call; after its one line the '
        'process must end (docs/seccomp.md)',
}

EXIT_CALL = re.compile(
    r'(?<![\w.>$])(exit|_exit|_Exit|quick_exit|abort)\s*\(|'
    r'\b(?:SYS_|__NR_)(exit(?:_group)?)\b|\b(exit_group)\b')
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
FUNC_START = re.compile(r'^[A-Za-z_][\w\s\*]*?\b(\w+)\s*\(')


def strip_code(text):
    """Blank out comments and string/char literals, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            end = text.find('*/', i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:end]))
            i = end
        elif text.startswith('//', i):
            end = text.find('\n', i)
            end = n if end < 0 else end
            out.append(' ' * (end - i))
            i = end
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            out.append(c + ' ' * (min(j, n) - i - 1) + (c if j < n else ''))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def layer_of(rel):
    top = rel.split('/', 1)[0]
    return top if top in LAYERS else None


def resolve(root, src_rel, kind, name):
    """Tree-relative path of an include, or None if outside the tree."""
    candidates = []
    if kind == '"':
        candidates.append(os.path.join(os.path.dirname(src_rel), name))
    candidates.append(name)
    for cand in candidates:
        cand = os.path.normpath(cand)
        if cand.startswith('..'):
            continue
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def include_problem(src, dst):
    """Why src may not include dst (tree-relative paths), or None."""
    sl, dl = layer_of(src), layer_of(dst)
    if sl is None or dl is None:
        return None
    if LAYERS[dl] > LAYERS[sl]:
        return f'{sl}/ is below {dl}/ and must not include it'
    if sl == 'hw' and dl == 'virtio':
        return 'hw/ must never include virtio/'
    if sl == 'virtio' and dl == 'hw' and dst not in VIRTIO_MAY_INCLUDE:
        allowed = ', '.join(sorted(VIRTIO_MAY_INCLUDE))
        return f'virtio/ may include from hw/ only {allowed}'
    return None


def init_problem(src, dst):
    """Why src may not include dst under the krun-init rule, or None."""
    src_init = src.startswith(INIT_DIR)
    dst_init = dst.startswith(INIT_DIR)
    if src_init and not dst_init:
        if layer_of(dst) in ('lib', 'hw', 'virtio', 'cmd') and \
                dst not in INIT_SHARED:
            return ('krun-init may include from lib/, hw/, virtio/ only ' +
                    ', '.join(sorted(INIT_SHARED)))
    if dst_init and not src_init:
        return ('the host side must not share headers with krun-init '
                '(only ' + ', '.join(sorted(INIT_SHARED)) + ')')
    if src in INIT_SHARED and layer_of(dst) in ('lib', 'hw', 'virtio',
                                                'cmd'):
        return ('a header shared with krun-init must include nothing from '
                'lib/, hw/, virtio/, cmd/')
    return None


def enclosing_function(lines, idx):
    for k in range(idx, -1, -1):
        line = lines[k]
        if line.startswith('#') or line.rstrip().endswith(';'):
            continue
        m = FUNC_START.match(line)
        if m:
            return m.group(1)
    return None


def check_file(root, rel, used_allow):
    problems = []
    with open(os.path.join(root, rel), encoding='utf-8',
              errors='replace') as f:
        raw = f.read()
    for no, line in enumerate(raw.split('\n'), 1):
        m = INCLUDE.match(line)
        if not m:
            continue
        dst = resolve(root, rel, m.group(1), m.group(2))
        if dst is None:
            continue
        for rule, why in (('include', include_problem(rel, dst)),
                          ('init', init_problem(rel, dst))):
            if why:
                problems.append(f'{rel}:{no}: {rule}: includes {dst}: {why}')
    if layer_of(rel) == 'cmd':
        return problems
    code = strip_code(raw).split('\n')
    for idx, line in enumerate(code):
        for m in EXIT_CALL.finditer(line):
            call = next(g for g in m.groups() if g)
            func = enclosing_function(code, idx)
            key = (rel, func, call)
            if key in EXIT_ALLOWED:
                used_allow.add(key)
                continue
            problems.append(
                f'{rel}:{idx + 1}: exit: {call}() in {func or "?"}(): only '
                'cmd/ may end the process; a library returns an error')
    return problems


def main():
    if len(sys.argv) != 2:
        print('usage: check-layering.py SOURCE_ROOT', file=sys.stderr)
        return 2
    root = sys.argv[1]
    files = []
    for top in sorted(LAYERS):
        for d, dirs, names in os.walk(os.path.join(root, top)):
            dirs.sort()
            for name in sorted(names):
                if name.endswith(('.c', '.h')):
                    files.append(os.path.relpath(os.path.join(d, name), root))
    if not files or not any(f.startswith(INIT_DIR) for f in files):
        print(f'check-layering: no sources (or no {INIT_DIR}) under '
              f'`{root}`', file=sys.stderr)
        return 2
    used_allow = set()
    problems = []
    for rel in files:
        problems += check_file(root, rel, used_allow)
    for key in sorted(set(EXIT_ALLOWED) - used_allow):
        problems.append(f'{key[0]}: exit: allow-list entry for {key[2]}() in '
                        f'{key[1]}() matches nothing: remove it')
    for p in problems:
        print(p)
    if problems:
        print(f'check-layering: {len(problems)} violation(s) in '
              f'{len(files)} files (rules: docs/ARCHITECTURE.md, Layers)')
        return 1
    print(f'check-layering: {len(files)} files follow the layering rules')
    return 0


if __name__ == '__main__':
    sys.exit(main())
