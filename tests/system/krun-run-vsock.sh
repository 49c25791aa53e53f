#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-vsock.sh KRUN-RUN (inside the test host): virtio-vsock bridges
# to host UNIX sockets, both directions, in two guests:
#   guest A connects out (--vsock PORT:PATH): socat as the host end, a
#     bulk transfer both ways at once (checksummed), 200 connections at
#     once, half-close, a host peer closing mid-stream, a host peer that
#     never reads (others must go on), an unmapped port and a dead path
#     (prompt refusal), then the workload exits with a connection open.
#   guest B listens (--vsock PORT:PATH,listen): socat and the bulk
#     transfer from the host, 200 host connections at once, half-close;
#     the workload exits with a host connection open: its status comes
#     back and no socket file is left.
# VSOCK_XFER_MB sets the bulk size (default 64 MiB each way).
KRUN_RUN=${1:?usage: krun-run-vsock.sh KRUN-RUN}
. "$(dirname "$0")/checklib.sh"
check_timeout=${KRUN_CHECK_TIMEOUT:-400}

H=$root/usr/bin/vsock-helper
mb=${VSOCK_XFER_MB:-64}
bytes=$((mb * 1048576))
bound=${VSOCK_BOUND:-60}
s=$work/s
mkdir -p "$s"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT

# serve NAME MODE [N]: a host server on $s/NAME.sock.
serve() {
	"$H" serve "unix:$s/$1.sock" "${@:2}" >/dev/null 2>&1 &
	pids+=($!)
}

# wait_file FILE: up to $bound s.
wait_file() {
	local i
	for ((i = 0; i < bound * 10; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# gline KEY: the guest's "KEY ..." line from the last run.
gline() { line_of "$1" "$last.out"; }

echo "--- guest connects out (+${SECONDS}s)"
# socat -t 60: after EOF on one side socat waits only 0.5 s (its default)
# for the other side, less than a nested guest may take to answer.
printf 'from-host\n' | socat -t 60 "UNIX-LISTEN:$s/agent.sock" - >"$work/socat-a.out" 2>&1 &
pids+=($!)
"$H" xfer listen "unix:$s/xfer.sock" "$bytes" 2 1 >"$work/xfer-a.host" 2>&1 &
pids+=($!)
serve echo echo
serve reply reply
serve sendclose send-close 1000000
serve readclose read-close 65536
serve noread noread
wait_file "$s/noread.sock" || fail "host servers did not start"

krun out --root "$root" --vsock "1234:$s/agent.sock" \
	--vsock "1300:$s/xfer.sock" --vsock "1302:$s/echo.sock" \
	--vsock "1303:$s/reply.sock" --vsock "1304:$s/sendclose.sock" \
	--vsock "1305:$s/readclose.sock" --vsock "1306:$s/noread.sock" \
	--vsock "1307:$s/dead.sock" -- /bin/sh -c "
	t() { date +%s; }
	echo \"socat \$(echo from-guest | vsock-helper connect 2 1234)\"
	echo \"xfer \$(vsock-helper xfer connect 2 1300 $bytes 1 2)\"
	echo \"multi \$(vsock-helper multi 2 1302 200 4096)\"
	echo \"half \$(printf question | vsock-helper connect 2 1303)\"
	echo \"sendclose \$(vsock-helper connect 2 1304 </dev/null | wc -c) rc=\$?\"
	echo \"readclose \$(vsock-helper write 2 1305 16777216 | tr '\n' ' ')\"
	vsock-helper write 2 1306 16777216 >/dev/null &
	sleep 2
	a=\$(t); echo \"stall \$(timeout $bound vsock-helper multi 2 1302 20 65536) \$((\$(t) - a))s\"
	a=\$(t); echo \"unmapped \$(timeout $bound vsock-helper connect 2 9999 </dev/null) \$((\$(t) - a))s\"
	echo \"dead \$(timeout $bound vsock-helper connect 2 1307 </dev/null)\"
	exit 7"
expect_status "guest exits with a connection open: its status comes back" 7
expect_eq "socat: the guest got the host's line" from-host "$(gline socat)"
expect_eq "socat: the host got the guest's line" from-guest "$(cat "$work/socat-a.out")"
g=$(gline xfer)
h=$(cat "$work/xfer-a.host")
set -- $g
expect_eq "guest->host ${mb} MiB: guest sent and got all, pattern ok" \
	"$bytes $bytes ok" "${3-} ${6-} ${7-}"
expect_eq "guest->host ${mb} MiB both ways: checksums agree" \
	"sent ${5-} ${6-} recv ${2-} ${3-} ok" "${h% *}"
echo "# ${mb} MiB each way at once, guest connecting: ${8-} ms"
expect_eq "200 connections at once" "multi ok 200" "$(gline multi)"
expect_eq "half-close: guest shut writing and read the reply" "got 8" "$(gline half)"
expect_eq "host closes after 1000000 bytes: guest reads them and EOF" \
	"1000000 rc=0" "$(gline sendclose)"
case $(gline readclose) in
"write ok "*) fail "host closed mid-stream: the guest's writes must fail" "$(gline readclose)" ;;
"write "*) pass "host closed mid-stream: the guest's write fails ($(gline readclose))" ;;
*) fail "host closed mid-stream: no result" ;;
esac
case $(gline stall) in
"multi ok 20 "*) pass "a host peer that never reads stalls no other connection ($(gline stall))" ;;
*) fail "a host peer that never reads stalled others" "$(gline stall)" ;;
esac
case $(gline unmapped) in
"connect: ECONNRESET "* | "connect: ECONNREFUSED "*) pass "unmapped port refused ($(gline unmapped))" ;;
*) fail "unmapped port: expected a prompt refusal" "$(gline unmapped)" ;;
esac
case $(gline dead) in
"connect: ECONNRESET" | "connect: ECONNREFUSED") pass "no host listener: refused ($(gline dead))" ;;
*) fail "no host listener: expected a refusal" "$(gline dead)" ;;
esac

echo "--- guest listens (+${SECONDS}s)"
rm -f "$root"/ready-*
KRUN_STDIN=/dev/null
timeout -k 5 "$check_timeout" "$KRUN_RUN" --root "$root" \
	--vsock "1400:$s/in.sock,listen" --vsock "1401:$s/xin.sock,listen" \
	--vsock "1402:$s/ein.sock,listen" --vsock "1403:$s/rin.sock,listen" \
	-- /bin/sh -c "
	echo from-guest | VSOCK_READY=/ready-a vsock-helper listen 1400 >/socat.got &
	VSOCK_READY=/ready-b vsock-helper xfer listen 1401 $bytes 1 2 >/xfer.got &
	VSOCK_READY=/ready-c vsock-helper serve 1402 echo &
	VSOCK_READY=/ready-d vsock-helper serve 1403 reply &
	while [ ! -e /host-done ]; do sleep 0.2; done
	cat /socat.got /xfer.got
	exit 9" >"$work/in.out" 2>"$work/in.err" &
kpid=$!
last=$work/in
last_cmd="krun-run ... --vsock 1400:$s/in.sock,listen ..."
if wait_file "$root/ready-d" && wait_file "$root/ready-a" && wait_file "$root/ready-b"; then
	pass "listening sockets made, guest servers up"
	got=$(echo from-host | socat -t 60 - "UNIX-CONNECT:$s/in.sock")
	expect_eq "socat into the guest: reply" from-guest "$got"
	hx=$("$H" xfer connect "unix:$s/xin.sock" "$bytes" 2 1)
	echo "# ${mb} MiB each way at once, host connecting: ${hx##* } ms"
	echo "multi $("$H" multi "unix:$s/ein.sock" 200 4096)" >"$work/in.multi"
	expect_eq "200 host connections at once" "multi ok 200" "$(line_of multi "$work/in.multi")"
	expect_eq "half-close from the host: reply after SHUT_WR" "got 8" \
		"$(printf question | "$H" connect "unix:$s/rin.sock")"
	sleep 100000 | "$H" connect "unix:$s/ein.sock" >/dev/null &
	pids+=($!)
	sleep 1
else
	fail "guest servers did not come up"
fi
touch "$root/host-done"
wait "$kpid"
echo $? >"$last.rc"
expect_status "guest exits with a host connection open: its status comes back" 9
set -- $(grep '^sent' "$last.out")
expect_eq "host->guest ${mb} MiB: guest sent and got all, pattern ok" \
	"$bytes $bytes ok" "${3-} ${6-} ${7-}"
expect_eq "host->guest ${mb} MiB both ways: checksums agree" \
	"sent ${5-} ${6-} recv ${2-} ${3-} ok" "${hx% *}"
expect_eq "socat: the guest got the host's line" from-host "$(head -n 1 "$last.out")"
left=$(ls "$s"/in.sock "$s"/xin.sock "$s"/ein.sock "$s"/rin.sock 2>&1 | grep -v 'No such')
expect_eq "no socket file left behind" "" "$left"

echo "--- errors (+${SECONDS}s)"
touch "$s/plain"
krun notsock --root "$root" --vsock "1500:$s/plain,listen" -- /bin/true
expect_status "a listening path that is not a socket: exit 125" 125
expect_eq "a listening path that is not a socket: one line" \
	"krun-run: vsock port 1500: refusing to listen on \`$s/plain\`: the file exists and is not a socket" \
	"$(cat "$last.err")"
[ -f "$s/plain" ] && pass "the file is left alone" || fail "the file was replaced"

echo "--- done (+${SECONDS}s)"
checks_done
