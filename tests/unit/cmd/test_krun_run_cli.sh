#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of the krun-run binary that need no VM: exit codes,
# exactly one line of stderr for every usage error, and no files written.
# A failed check prints the full command, its exit status and its whole
# stdout and stderr.
# Usage: test_krun_run_cli.sh KRUN_RUN FIXTURE_DIR MAN_PAGE
set -u

KRUN_RUN=$1
# Absolute: some checks run it from another directory.
case $KRUN_RUN in /*) ;; *) KRUN_RUN=$PWD/$KRUN_RUN ;; esac
FIXTURES=$2
MAN_PAGE=$3
TMP=$(mktemp -d /tmp/krun-cli-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0

# Shell-quote each argument, so the printed command can be pasted.
quote() {
	for a in "$@"; do
		printf "'%s' " "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"
	done
}

# fail WHY: the last command (from expect), its status and whole output
fail() {
	failures=$((failures + 1))
	{
		echo "FAIL: $*"
		echo "  command: $last_cmd"
		echo "  exit status: $last_code"
		echo "  --- stdout ---"
		cat "$TMP/out"
		echo "  --- stderr ---"
		cat "$TMP/err"
		echo "  --- end ---"
	} >&2
}

# check WHY COMMAND...: COMMAND must succeed, else fail WHY
check() {
	why=$1
	shift
	checks=$((checks + 1))
	"$@" || fail "$why"
}

# expect CODE STDERR_LINE ARGS...: exit CODE, stderr exactly STDERR_LINE
# (empty: no stderr at all)
expect() {
	want_code=$1
	want_err=$2
	shift 2
	last_cmd="$(quote "$KRUN_RUN" "$@")</dev/null"
	"$KRUN_RUN" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	last_code=$?
	checks=$((checks + 2)) # the status and stderr
	[ "$last_code" = "$want_code" ] ||
		fail "exit status $last_code, want $want_code"
	if [ -n "$want_err" ]; then
		printf '%s\n' "$want_err" >"$TMP/want"
		cmp -s "$TMP/err" "$TMP/want" ||
			fail "stderr is not exactly the line: $want_err"
	elif [ -s "$TMP/err" ]; then
		fail "unexpected stderr"
	fi
}

expect 125 'krun-run: --frobnicate: unknown option' --frobnicate ls
expect 125 'krun-run: --cpus: missing argument' --cpus
expect 125 'krun-run: --cpus: invalid number `x` (expected 1 to 64 vCPUs; a fraction rounds up)' \
	--cpus x ls
expect 125 'krun-run: --memory: memory `1` out of range (64 MiB to 1048576 MiB; a number without unit is bytes)' \
	--memory 1 ls
expect 125 'krun-run: --net: unknown network `tcp` (expected passt, passt-fd=FD, gvproxy=PATH or none)' \
	--net tcp ls
# No COMMAND: the root's /.krun_config.json or /bin/sh, once there is a root.
expect 125 'krun-run: no root: set a root directory or a root disk'
expect 125 'krun-run: no root: set a root directory or a root disk' -- /bin/true
expect 125 "krun-run: --spec: cannot read \`$TMP/none.json\`: No such file or directory" \
	--spec "$TMP/none.json"

# vsock bridges: one clear line each.
expect 125 'krun-run: --vsock: invalid vsock port `0`: must be 1..4294967294' \
	--root / --vsock 0:/tmp/v.sock true
expect 125 'krun-run: --vsock: duplicate vsock port `5`: already bridged to `/tmp/a`' \
	--root / --vsock 5:/tmp/a --vsock 5:/tmp/b,listen true
long=/tmp/$(printf '%0120d' 0)
expect 125 "krun-run: --vsock: vsock socket path \`$long\` is too long: 125 bytes, a UNIX socket path holds at most 107" \
	--root / --vsock "5:$long" true
expect 125 "krun-run: invalid vsock socket path \`$TMP/none/v.sock\`: directory \`$TMP/none\`: No such file or directory" \
	--root / --vsock "5:$TMP/none/v.sock,listen" true

# A file that never ends is refused, never read into unbounded memory
# (also when memory is short: an allocation failure is not end of file).
expect 125 'krun-run: --env-file: /dev/zero: larger than 1048576 bytes' \
	--env-file /dev/zero --print-config --root / true
if [ "${KRUN_TEST_SANITIZED:-0}" = 1 ]; then
	echo "skip: --env-file under ulimit -v: AddressSanitizer cannot reserve its shadow memory there"
else
	(
		ulimit -v 400000
		expect 125 'krun-run: --env-file: /dev/zero: larger than 1048576 bytes' \
			--env-file /dev/zero --print-config --root / true
		echo "$failures $checks" >"$TMP/sub"
	)
	read -r failures checks <"$TMP/sub"
fi
expect 125 'krun-run: --spec: /dev/zero: larger than 4194304 bytes' \
	--spec /dev/zero

printf '{"process": {"args": ["sh", 3]}}' >"$TMP/bad.json"
expect 125 "krun-run: --spec: $TMP/bad.json: .process.args[1]: expected a string" \
	--spec "$TMP/bad.json"

# Nothing is written when the configuration is rejected.
expect 125 'krun-run: --cpus: invalid vCPU count `0`: must be 1..64' \
	--console-output "$TMP/console.log" --cpus 0 --root / true
check "console file created on a usage error" test ! -e "$TMP/console.log"

expect 0 '' --help
check "--help: no usage line" \
	grep -q '^Usage: krun-run \[OPTIONS\] \[--\] COMMAND \[ARG...\]$' "$TMP/out"
expect 0 '' --version
check "--version: no version line" grep -q '^krun-run [0-9]' "$TMP/out"

expect 0 '' --print-config --root /r --cpus 2 -- /bin/echo hi
check "--print-config: no exec" grep -q '"exec": "/bin/echo"' "$TMP/out"
check "--print-config: no vcpus" grep -q '"vcpus": 2,' "$TMP/out"

# docker's -v: a relative host directory, resolved when krun-run starts.
mkdir "$TMP/data"
(cd "$TMP" && "$KRUN_RUN" --print-config -v ./data:/data:ro --root / \
	--memory 1.5G -- ls /data) >"$TMP/out" 2>"$TMP/err"
check "-v ./data:/data:ro: host path not resolved" \
	grep -q "\"hostPath\": \"$TMP/data\"" "$TMP/out"
check "-v ./data:/data:ro: not read-only" grep -q '"readonly": true' "$TMP/out"
check "--memory 1.5G: not 1536 MiB" grep -q '"memoryMiB": 1536,' "$TMP/out"
expect 125 'krun-run: --volume: `data` would be a named volume, which krun-run does not have; write ./data for a directory' \
	-v data:/data --root / ls
# --root-disk with a file of that name in the current directory.
: >"$TMP/rootfs.ext4"
(cd "$TMP" && "$KRUN_RUN" --print-config --root-disk rootfs.ext4 -- true) \
	>"$TMP/out" 2>"$TMP/err"
check "--root-disk FILE in the cwd: not added as disk root" \
	grep -q '"path": "rootfs.ext4"' "$TMP/out"
expect 125 'krun-run: --root-disk: no disk `nosuch.img` was added with --disk and no such file exists' \
	--root-disk nosuch.img -- true

# A crun bundle loads unmodified.
mkdir "$TMP/bundle"
cp "$FIXTURES/crun-spec-rootless.json" "$TMP/bundle/config.json"
expect 0 '' --bundle "$TMP/bundle" --print-config
check "--bundle: root.path not relative to the bundle" \
	grep -q "\"path\": \"$TMP/bundle/rootfs\"" "$TMP/out"

# A spec can come through a pipe (`--spec <(crun spec ...)`), but not a
# directory.
mkfifo "$TMP/spec.fifo"
# A krun-run that never reads the FIFO leaves the writer blocked: it gives
# up after 10 s (status 124).
timeout 10 sh -c 'cat "$1" >"$2"' sh "$FIXTURES/crun-spec.json" \
	"$TMP/spec.fifo" &
writer=$!
expect 0 '' --spec "$TMP/spec.fifo" --print-config
wait "$writer"
writer_status=$?
check "--spec FIFO: not read to the end (writer status $writer_status)" \
	test "$writer_status" = 0
check "--spec FIFO: process.args not loaded" grep -q '"exec": "sh"' "$TMP/out"
expect 125 "krun-run: --spec: cannot read \`$TMP\`: is a directory" \
	--spec "$TMP" -- /bin/true

# The spec example in the man page loads as a bundle.
mkdir "$TMP/example"
sed -n '/^\.SS Example/,/^\.EE/p' "$MAN_PAGE" | sed -n '/^{/,/^}/p' |
	sed 's/\\-/-/g' >"$TMP/example/config.json"
check "man page example: no JSON object found in $MAN_PAGE" \
	grep -q '^{' "$TMP/example/config.json"
expect 0 '' --bundle "$TMP/example" --print-config
check "man page example: root not loaded" \
	grep -q "\"path\": \"$TMP/example/rootfs\"" "$TMP/out"
check "man page example: no bind mount" grep -q '"tag": "mount0"' "$TMP/out"

if [ "$failures" != 0 ]; then
	echo "$failures of $checks krun-run CLI checks failed" >&2
	exit 1
fi
echo "all $checks krun-run CLI checks passed"
