#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""failure-summary.py [--names] BUILD-DIR: the failed checks of the last `meson test`.

A failing system case prints a guest kernel log after its failed check, so
the check's name and krun-run's status end up far above the end of a long
CI log. This prints, per failed or timed-out test, its TAP `not ok` lines
with the diagnostics that follow each (kernel log lines left out, at most
12 lines per check), so the end of the log says what failed. --names prints only the names of
the failed tests, one per line (for `meson test NAME...`).
"""
import json
import os
import sys

MAX_DIAG = 12


def failed_checks(stdout):
    out, diag, in_check = [], 0, False
    for line in stdout.splitlines():
        if line.startswith('not ok '):
            out.append(line)
            in_check, diag = True, 0
        elif line.startswith('ok ') or line.startswith('1..'):
            in_check = False
        elif in_check and line.startswith('#'):
            # Kernel log lines: "#   [    1.234] ..."
            if line.lstrip('# ').startswith('['):
                continue
            if diag < MAX_DIAG:
                out.append('  ' + line)
            diag += 1
    return out


def main():
    args = sys.argv[1:]
    names_only = args[:1] == ['--names']
    if names_only:
        args = args[1:]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    log = os.path.join(args[0], 'meson-logs', 'testlog.json')
    try:
        f = open(log)
    except OSError as e:
        print(f'failure-summary: {log}: {e.strerror}', file=sys.stderr)
        return 1
    with f:
        for raw in f:
            test = json.loads(raw)
            if test.get('result') in ('OK', 'SKIP', 'EXPECTEDFAIL'):
                continue
            if names_only:
                # "krun-run:system / NAME" -> NAME
                print(test['name'].rsplit(' / ', 1)[-1])
                continue
            print(f"== {test['name']}: {test['result']} "
                  f"(exit status {test.get('returncode')}, "
                  f"{test.get('duration', 0):.0f} s)")
            lines = failed_checks(test.get('stdout') or '')
            if not lines:
                tail = (test.get('stdout') or '').splitlines()[-15:]
                lines = ['  (no TAP `not ok` line; the last lines:)'] + \
                    ['  ' + line for line in tail]
            for line in lines:
                print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
