#!/usr/bin/env bash
# Run the libFuzzer harnesses of tests/fuzz (docs/testing.md, "Fuzzing").
#
#   tools/fuzz.sh [--build DIR] [--time SECONDS] [--jobs N] [TARGET...]
#
# Sets up DIR (default build-fuzz) with clang and -Dfuzz=true when it has
# no build.ninja yet, builds the `fuzzers` target, then runs each TARGET
# (default: all) for SECONDS (default 20), one after the other. New inputs
# go to DIR/fuzz-corpus/TARGET (kept between runs; the seeds in
# tests/fuzz/corpus/TARGET are read, never written); a crash, leak, hang
# or sanitizer report leaves its input in DIR/fuzz-artifacts/TARGET/ and
# makes the script exit 1 after the other targets ran. One summary line
# per target: executions, exec/s, libFuzzer's cov: and ft:, new inputs.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-fuzz
time=20
jobs=1
targets=()

while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$(realpath -m "$2"); shift 2 ;;
	--time) time=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	-h | --help) sed -n '2,14p' "$0"; exit 0 ;;
	-*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
	*) targets+=("$1"); shift ;;
	esac
done

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$top" -Dfuzz=true \
		-Dkernel=/nonexistent -Dsystem_tests=false
fi
ninja -C "$build" -j"$jobs" fuzzers

if [ ${#targets[@]} -eq 0 ]; then
	for d in "$top"/tests/fuzz/corpus/*/; do
		targets+=("$(basename "$d")")
	done
fi

# Leaks are findings; a single input over 10 s is a hang.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
	exe=$build/tests/fuzz/fuzz_$t
	work=$build/fuzz-corpus/$t
	art=$build/fuzz-artifacts/$t
	log=$build/fuzz-logs/$t.log
	mkdir -p "$work" "$art" "$(dirname "$log")"
	rc=0
	"$exe" -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$art/" "$work" "$top/tests/fuzz/corpus/$t" \
		>"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	added=$(sed -n 's/^stat::new_units_added: *//p' "$log")
	last=$(grep -a -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
	printf '%-24s %ss: %s execs, %s exec/s, %s, %s new inputs\n' \
		"$t" "$time" "${execs:-?}" "${rate:-?}" "${last:-cov: ?}" \
		"${added:-?}"
	if [ $rc -ne 0 ]; then
		echo "fuzz.sh: $t: finding (exit $rc), input in $art/:" >&2
		grep -m1 -A20 'ERROR\|check `\|SUMMARY' "$log" >&2 || tail -30 "$log" >&2
		failed+=("$t")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: findings in: ${failed[*]} (logs in $build/fuzz-logs/)" >&2
	exit 1
fi
