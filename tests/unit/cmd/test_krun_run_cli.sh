#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of the krun-run binary that need no VM: exit codes,
# exactly one line of stderr for every usage error, and no files written.
# Usage: test_krun_run_cli.sh KRUN_RUN FIXTURE_DIR MAN_PAGE
set -u

KRUN_RUN=$1
FIXTURES=$2
MAN_PAGE=$3
TMP=$(mktemp -d /tmp/krun-cli-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect CODE STDERR_LINE ARGS...: exit CODE, stderr exactly STDERR_LINE
expect() {
	want_code=$1
	want_err=$2
	shift 2
	"$KRUN_RUN" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	code=$?
	[ "$code" = "$want_code" ] || fail "$*: exit $code, want $want_code"
	printf '%s\n' "$want_err" >"$TMP/want"
	if [ -n "$want_err" ]; then
		cmp -s "$TMP/err" "$TMP/want" ||
			fail "$*: stderr '$(cat "$TMP/err")', want '$want_err'"
	else
		[ -s "$TMP/err" ] && fail "$*: unexpected stderr '$(cat "$TMP/err")'"
	fi
}

expect 125 'krun-run: --frobnicate: unknown option' --frobnicate ls
expect 125 'krun-run: --cpus: missing argument' --cpus
expect 125 'krun-run: --cpus: invalid number `x`' --cpus x ls
expect 125 'krun-run: --memory: invalid RAM size `1` MiB: must be 64..1048576 MiB' \
	--memory 1 ls
expect 125 'krun-run: --net: unknown network `tcp` (expected passt, passt-fd=FD, gvproxy=PATH or none)' \
	--net tcp ls
expect 125 'krun-run: COMMAND: missing (see krun-run --help)'
expect 125 'krun-run: COMMAND: missing (see krun-run --help)' --root /
expect 125 'krun-run: no root: set a root directory or a root disk' -- /bin/true
expect 125 "krun-run: --spec: cannot read \`$TMP/none.json\`: No such file or directory" \
	--spec "$TMP/none.json"

printf '{"process": {"args": ["sh", 3]}}' >"$TMP/bad.json"
expect 125 "krun-run: --spec: $TMP/bad.json: .process.args[1]: expected a string" \
	--spec "$TMP/bad.json"

# Nothing is written when the configuration is rejected.
expect 125 'krun-run: --cpus: invalid vCPU count `0`: must be 1..64' \
	--console-output "$TMP/console.log" --cpus 0 --root / true
[ -e "$TMP/console.log" ] && fail "console file created on a usage error"

expect 0 '' --help
grep -q '^Usage: krun-run \[OPTIONS\] \[--\] COMMAND \[ARG...\]$' "$TMP/out" ||
	fail "--help: no usage line"
expect 0 '' --version
grep -q '^krun-run [0-9]' "$TMP/out" || fail "--version: '$(cat "$TMP/out")'"

expect 0 '' --print-config --root /r --cpus 2 -- /bin/echo hi
grep -q '"exec": "/bin/echo"' "$TMP/out" || fail "--print-config: no exec"
grep -q '"vcpus": 2,' "$TMP/out" || fail "--print-config: no vcpus"

# A crun bundle loads unmodified.
mkdir "$TMP/bundle"
cp "$FIXTURES/crun-spec-rootless.json" "$TMP/bundle/config.json"
expect 0 '' --bundle "$TMP/bundle" --print-config
grep -q "\"path\": \"$TMP/bundle/rootfs\"" "$TMP/out" ||
	fail "--bundle: root.path not relative to the bundle"

# A spec can come through a pipe (`--spec <(crun spec ...)`), but not a
# directory.
mkfifo "$TMP/spec.fifo"
cat "$FIXTURES/crun-spec.json" >"$TMP/spec.fifo" &
expect 0 '' --spec "$TMP/spec.fifo" --print-config
wait
grep -q '"exec": "sh"' "$TMP/out" || fail "--spec FIFO: process.args not loaded"
expect 125 "krun-run: --spec: cannot read \`$TMP\`: is a directory" \
	--spec "$TMP" -- /bin/true

# The spec example in the man page loads as a bundle.
mkdir "$TMP/example"
sed -n '/^\.SS Example/,/^\.EE/p' "$MAN_PAGE" | sed -n '/^{/,/^}/p' |
	sed 's/\\-/-/g' >"$TMP/example/config.json"
expect 0 '' --bundle "$TMP/example" --print-config
grep -q "\"path\": \"$TMP/example/rootfs\"" "$TMP/out" ||
	fail "man page example: root not loaded"
grep -q '"tag": "mount0"' "$TMP/out" || fail "man page example: no bind mount"

[ "$failures" = 0 ] || exit 1
echo "all krun-run CLI checks passed"
