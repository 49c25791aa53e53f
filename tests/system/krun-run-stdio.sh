#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-stdio.sh KRUN-RUN (inside the test host): pipe mode. stdout and
# stderr stay apart (into files and into pipes), stdin comes from a pipe
# and its EOF reaches the guest, 10 MiB of output and 4 MiB of input
# arrive intact (sha256), --console-output writes the console to a file.
KRUN_RUN=${1:?usage: krun-run-stdio.sh KRUN-RUN}
. "$(dirname "$0")/checklib.sh"

# Files.
krun split-files --root "$root" -- /bin/sh -c \
	'echo to-out; echo to-err >&2; echo out-2; echo err-2 >&2; exit 4'
expect_status "stdout/stderr to files: exit status" 4
expect_file "stdout to a file holds only stdout" "$last.out" $'to-out\nout-2\n'
expect_file "stderr to a file holds only stderr" "$last.err" $'to-err\nerr-2\n'

# Pipes: 2000 interleaved lines on each stream, read by two cat processes.
mkfifo "$work/out.fifo" "$work/err.fifo"
cat "$work/out.fifo" >"$work/split-pipes.piped-out" &
cat_out=$!
cat "$work/err.fifo" >"$work/split-pipes.piped-err" &
cat_err=$!
last=$work/split-pipes last_argv=()
last_cmd="$KRUN_RUN --root $root -- /bin/sh -c 'i=0; while [ \$i -lt 2000 ]; do echo out\$i; echo err\$i >&2; i=\$((i+1)); done' </dev/null >$work/out.fifo 2>$work/err.fifo"
timeout -k 5 "$check_timeout" "$KRUN_RUN" --root "$root" -- /bin/sh -c \
	'i=0; while [ $i -lt 2000 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done' \
	</dev/null >"$work/out.fifo" 2>"$work/err.fifo"
echo $? >"$last.rc"
wait "$cat_out" "$cat_err"
cp "$work/split-pipes.piped-out" "$last.out"
cp "$work/split-pipes.piped-err" "$last.err"
expect_status "stdout/stderr to pipes: exit status" 0
seq_lines() { i=0; while [ $i -lt 2000 ]; do echo "$1$i"; i=$((i + 1)); done; }
expect_eq "stdout pipe holds exactly the 2000 stdout lines" \
	"$(seq_lines out | sha256sum)" "$(sha256sum <"$last.out")"
expect_eq "stderr pipe holds exactly the 2000 stderr lines" \
	"$(seq_lines err | sha256sum)" "$(sha256sum <"$last.err")"

# stdin.
printf abc >"$work/abc"
KRUN_STDIN=$work/abc krun stdin-cat --root "$root" -- /bin/cat
expect_status "stdin from a file: exit status" 0
expect_file "stdin from a file reaches cat" "$last.out" abc
mkfifo "$work/stdin.fifo" "$work/stdin-4m.fifo"
printf abc >"$work/stdin.fifo" &
KRUN_STDIN=$work/stdin.fifo krun stdin-pipe --root "$root" -- /bin/sh -c 'cat; echo " eof"'
expect_file "stdin from a pipe reaches cat, then EOF" "$last.out" $'abc eof\n'
krun stdin-null --root "$root" -- /bin/sh -c 'cat; echo eof'
expect_file "stdin /dev/null gives EOF at once" "$last.out" $'eof\n'
yes stdin-data-line | head -c 4194304 >"$work/stdin-4m"
KRUN_STDIN=$work/stdin-4m krun stdin-4m --root "$root" -- /usr/bin/wc -c
expect_eq "4 MiB of stdin: byte count in the guest" 4194304 "$(tr -d ' \n' <"$last.out")"
yes stdin-data-line | head -c 4194304 >"$work/stdin-4m.fifo" &
KRUN_STDIN=$work/stdin-4m.fifo krun stdin-4m-sha --root "$root" -- /usr/bin/sha256sum
expect_eq "4 MiB of stdin from a pipe: sha256 in the guest" \
	"$(sha256sum <"$work/stdin-4m" | cut -d' ' -f1)" \
	"$(cut -d' ' -f1 <"$last.out")"

# 10 MiB of deterministic output, to a file and through a pipe.
want=$(yes 0123456789abcdef | head -c 10485760 | sha256sum | cut -d' ' -f1)
gen='yes 0123456789abcdef | head -c 10485760'
krun big-file --root "$root" -- /bin/sh -c "$gen"
last_out_shown=0
expect_status "10 MiB to a file: exit status" 0
expect_eq "10 MiB to a file: size" 10485760 "$(stat -c %s "$last.out")"
expect_eq "10 MiB to a file: sha256" "$want" "$(sha256sum <"$last.out" | cut -d' ' -f1)"
last=$work/big-pipe last_argv=()
last_cmd="$KRUN_RUN --root $root -- /bin/sh -c '$gen' </dev/null | sha256sum"
timeout -k 5 "$check_timeout" "$KRUN_RUN" --root "$root" -- /bin/sh -c "$gen" \
	</dev/null 2>"$last.err" | sha256sum | cut -d' ' -f1 >"$last.out"
echo "${PIPESTATUS[0]}" >"$last.rc"
expect_status "10 MiB through a pipe: exit status" 0
expect_eq "10 MiB through a pipe: sha256" "$want" "$(cat "$last.out")"

# --console-output: the console goes to the file, not to stdout.
krun console-output --root "$root" --console-output "$work/console.txt" -- \
	/bin/sh -c 'echo hello-console-file; exit 5'
expect_status "--console-output: exit status" 5
if grep -q '^hello-console-file' "$work/console.txt" 2>/dev/null; then
	pass "--console-output file holds the workload's output"
else
	fail "--console-output file holds the workload's output" \
		"$work/console.txt: $(head -c 500 "$work/console.txt" 2>&1 | od -c | head -n 5 | tr '\n' ' ')"
fi
if grep -q hello-console-file "$last.out"; then
	fail "--console-output: nothing on stdout" "the line also went to stdout"
else
	pass "--console-output: nothing on stdout"
fi

checks_done
