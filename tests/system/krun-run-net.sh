#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# krun-run-net.sh KRUN-RUN PART [HELPER...] (inside the test host):
# networking. The test host has a dummy interface with a default route on
# documentation-range addresses (tests/host/testhost-init), from which the
# passt krun-run starts derives the guest's configuration; every server a
# check talks to runs on the test host's loopback, which the guest reaches
# at the gateway address 192.0.2.1 (2001:db8::1).
#
# PART core: the guest fetches from a host server (checksum of a
#   body, 8 MiB), -p (TCP, 100 concurrent connections) and a UDP map, DNS through
#   a dnsmasq on the loopback, IPv6, --net none, resolv.conf with a
#   read-only root, what networking adds to a boot.
# HELPER-DIR holds net-udp-recv (copied into the guest root) and
# net-passt-fd.
# PART failures: passt missing, no route, passt killed mid-run,
#   gvproxy framing against a test peer, the caller's passt socket through
#   the API, a libkrun chroot-style client (chroot_vm: 4 vCPUs, its own
#   passt via krun_add_net_unixstream, rlimits, relative workdir; then a
#   32 MiB guest), refused combinations.
# PART blob64: only the fetch, of 64 MiB (the slow suite).
KRUN_RUN=${1:?usage: krun-run-net.sh KRUN-RUN PART [HELPER-DIR]}
part=${2:?usage: krun-run-net.sh KRUN-RUN PART [HELPER-DIR]}
helpers=${3:-}
. "$(dirname "$0")/checklib.sh"
gw=192.0.2.1
blob_mb=8

www=$work/www
mkdir -p "$www" "$root/srv"
# The issue's command line names /bin/httpd; busybox installs it in sbin.
ln -s busybox "$root/bin/httpd"
[ -n "$helpers" ] && cp "$helpers/net-udp-recv" "$root/usr/bin/"
echo hello-from-host >"$www/index.html"
busybox httpd -p 8000 -h "$www" || echo "# cannot start httpd"

no_passt_left() {
	sleep 1
	expect_eq "$1: no passt left behind" "" "$(pgrep passt || true)"
}

fetch_blob() {
	local want got
	head -c $((blob_mb << 20)) /dev/urandom >"$www/blob"
	want=$(md5sum <"$www/blob" | cut -d' ' -f1)
	krun blob --root "$root" -- /bin/sh -c \
		'wget -q -O- http://192.0.2.1:8000/blob | md5sum'
	got=$(cut -d' ' -f1 <"$last.out")
	expect_eq "guest fetches ${blob_mb} MiB from the host: checksum" \
		"$want" "$got"
}

# The issue's first "done when": a plain wget of a host server.
done_when_fetch() {
	krun fetch --root "$root" -- wget -O- "http://$gw:8000/"
	expect_status "wget of a host server: exit status" 0
	expect_file "wget of a host server: body" "$last.out" \
		$'hello-from-host\n'
}

# dnsmasq on the loopback; passt hands the guest the gateway as resolver
# and forwards its queries there, since the test host's resolv.conf names
# 127.0.0.1 (bind-mounted over the read-only shared root's file).
start_dns() {
	dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.1 \
		--bind-interfaces --port=53 --user=root \
		--address=/krun.test/192.0.2.99 --pid-file="$work/dnsmasq.pid" ||
		echo "# cannot start dnsmasq"
	printf 'nameserver 127.0.0.1\nsearch krun.test\n' >"$work/resolv.conf"
	mount --bind "$work/resolv.conf" /etc/resolv.conf ||
		echo "# cannot mount the test resolv.conf"
}

guest_checks() {
	krun guest --root "$root" -- /bin/sh -c '
		echo "md5 $(wget -q -O- http://192.0.2.1:8000/index.html | md5sum)"
		echo "ns $(nslookup krun.test 2>&1 | tr "\n" " ")"
		grep -q "^nameserver " /etc/resolv.conf && echo "resolv ok"
		grep -q "^search krun.test" /etc/resolv.conf && echo "search ok"
		i=0
		while [ $i -lt 100 ]; do
			a=$(ip -6 addr show dev eth0)
			case $a in *tentative*) ;; *"inet6 2001:db8:"*) break ;; esac
			sleep 0.1; i=$((i + 1))
		done
		echo "v6 $(wget -q -O- "http://[2001:db8::1]:8000/index.html")"
		echo "mtu $(cat /sys/class/net/eth0/mtu)"'
	expect_status "guest network checks: exit status" 0
	expect_eq "guest fetch by the gateway address" \
		"$(md5sum <"$www/index.html")" "$(line_of md5 "$last.out")"
	case $(line_of ns "$last.out") in
	*192.0.2.99*) pass "DNS through the host's resolver" ;;
	*) fail "DNS through the host's resolver" "nslookup: $(line_of ns "$last.out")" ;;
	esac
	expect_eq "resolv.conf has the lease's resolver" "ok" "$(line_of resolv "$last.out")"
	expect_eq "resolv.conf has the lease's search domain" "ok" "$(line_of search "$last.out")"
	expect_eq "IPv6 to the host (router advertisement, gateway)" \
		hello-from-host "$(line_of v6 "$last.out")"
	expect_eq "MTU from DHCP" 65520 "$(line_of mtu "$last.out")"
	expect_eq "the root's resolv.conf is untouched" 0 \
		"$(stat -c %s "$root/etc/resolv.conf")"
}

# term_run PID: SIGTERM to the krun-run that `timeout` (PID) runs, not to
# timeout itself: timeout passes a signal it gets to its whole process
# group (passt too) and then SIGKILLs the run after its -k time, which a
# graceful guest shutdown on a loaded test host can outlast (137).
term_run() {
	local child
	child=$(pgrep -P "$1" | head -n 1)
	kill -TERM "${child:-$1}"
}

# wait_http URL OUT: retry for up to 90 s.
wait_http() {
	local i
	for i in $(seq 180); do
		wget -q -O "$2" "$1" 2>/dev/null && return 0
		sleep 0.5
	done
	return 1
}

# The issue's second "done when": -p 8080:80 serves a host wget; then 100
# concurrent connections through the same map.
done_when_publish() {
	local pid ok=0 i
	timeout -k 5 300 "$KRUN_RUN" --root "$root" -p 8080:80 \
		-- /bin/httpd -f -p 80 </dev/null >"$work/publish.out" \
		2>"$work/publish.err" &
	pid=$!
	last=$work/publish last_cmd="krun-run --root ROOT -p 8080:80 -- /bin/httpd -f -p 80"
	if wait_http "http://127.0.0.1:8080/etc/hostname" "$work/hn"; then
		expect_file "-p 8080:80: host wget of the guest's httpd" \
			"$work/hn" $'krun\n'
	else
		fail "-p 8080:80: host wget of the guest's httpd" "no answer in 90 s"
	fi
	local pids=()
	for i in $(seq 100); do
		wget -q -O "$work/c.$i" http://127.0.0.1:8080/etc/hostname &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 100); do
		[ "$(cat "$work/c.$i" 2>/dev/null)" = krun ] && ok=$((ok + 1))
	done
	expect_eq "100 concurrent connections through -p" 100 "$ok"
	term_run "$pid"
	wait "$pid"
	echo "$?" >"$work/publish.rc"
	expect_status "-p: SIGTERM ends the run" 143
}

udp_map() {
	local pid
	timeout -k 5 300 "$KRUN_RUN" --root "$root" \
		-p 8081:81 -p 9999:9999/udp -- /bin/sh -c \
		'net-udp-recv 9999 /srv/udp.txt & exec httpd -f -p 81 -h /srv' \
		</dev/null >"$work/udp.out" 2>"$work/udp.err" &
	pid=$!
	last=$work/udp last_cmd="krun-run -p 8081:81 -p 9999:9999/udp ..."
	wait_http "http://127.0.0.1:8081/udp.txt" /dev/null
	for i in $(seq 40); do
		echo hello-udp >/dev/udp/127.0.0.1/9999
		wget -q -O "$work/udp.got" http://127.0.0.1:8081/udp.txt
		grep -q hello-udp "$work/udp.got" 2>/dev/null && break
		sleep 0.5
	done
	expect_eq "-p 9999:9999/udp reaches the guest" hello-udp \
		"$(head -n 1 "$work/udp.got" 2>/dev/null)"
	# A terminal's Ctrl-C (SIGINT) or timeout(1) signals krun-run's whole
	# process group: passt, in a group of its own, must not get it.
	local krun_pid passt_pid
	krun_pid=$(pgrep -P "$pid" | head -n 1)
	passt_pid=$(pgrep -P "${krun_pid:-0}" passt | head -n 1)
	if [ -n "$passt_pid" ] && [ "$(ps -o pgid= -p "$passt_pid")" != "$(ps -o pgid= -p "$krun_pid")" ]; then
		pass "passt runs outside krun-run's process group"
	else
		fail "passt runs outside krun-run's process group" \
			"krun-run $krun_pid (group $(ps -o pgid= -p "${krun_pid:-0}")), passt ${passt_pid:-none} (group $(ps -o pgid= -p "${passt_pid:-0}"))"
	fi
	kill -TERM -- -"$pid"
	wait "$pid"
	case $(cat "$work/udp.err") in
	*"passt exited while the VM runs"*)
		fail "a signal to krun-run's process group leaves passt to krun-run" \
			"$(cat "$work/udp.err")" ;;
	*) pass "a signal to krun-run's process group leaves passt to krun-run" ;;
	esac
}

net_none() {
	krun none --root "$root" --net none -- ls /sys/class/net
	expect_status "--net none: exit status" 0
	expect_eq "--net none: only lo (and the kernel's sit0)" lo \
		"$(grep -v '^sit0$' "$last.out")"
}

read_only_resolv() {
	krun ro --root "$root" --read-only -- cat /etc/resolv.conf
	case $(cat "$last.out") in
	*nameserver*) pass "--read-only: the guest has the lease's resolv.conf" ;;
	*) fail "--read-only: the guest has the lease's resolv.conf" ;;
	esac
	expect_eq "--read-only: the root's resolv.conf is untouched" 0 \
		"$(stat -c %s "$root/etc/resolv.conf")"
}

# Medians of 3 boots with and without networking (numbers, not checks).
boot_cost() {
	local mode t0 t1 list
	for mode in none default; do
		list=
		for i in 1 2 3; do
			t0=$(date +%s%N)
			if [ $mode = none ]; then
				krun t --root "$root" --net none -- /bin/true
			else
				krun t --root "$root" -- /bin/true
			fi
			t1=$(date +%s%N)
			list="$list $(((t1 - t0) / 1000000))"
		done
		echo "# boot to /bin/true, --net $mode: ms$list (median $(echo $list | tr ' ' '\n' | sort -n | sed -n 2p))"
	done
}

# with_prefix CMD...: run the following krun through CMD (env, unshare).
with_prefix() {
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$*" "$KRUN_RUN" >"$work/wrap"
	chmod +x "$work/wrap"
	saved_krun_run=$KRUN_RUN
	KRUN_RUN=$work/wrap
}

without_prefix() {
	KRUN_RUN=$saved_krun_run
}

passt_missing() {
	with_prefix env PATH=/nonexistent
	krun missing-explicit --root "$root" --net passt -- true
	expect_status "passt missing, --net passt: exit status" 125
	expect_eq "passt missing, --net passt: one line naming the cause" \
		"krun-run: cannot start passt: \`passt\` is not installed (not found in PATH)" \
		"$(cat "$last.err")"
	krun missing-p --root "$root" -p 8080:80 -- true
	expect_status "passt missing, -p: exit status" 125
	krun missing-default --root "$root" -- ls /sys/class/net
	without_prefix
	expect_status "passt missing, default: the run goes on" 0
	expect_eq "passt missing, default: only lo (and the kernel's sit0)" lo \
		"$(grep -v '^sit0$' "$last.out")"
	expect_eq "passt missing, default: one warning line" \
		"krun[warn] running without a network: cannot start passt: \`passt\` is not installed (not found in PATH) (--net none chooses that quietly)" \
		"$(cat "$last.err")"
}

# A host passt cannot configure itself on: an empty network namespace.
no_route() {
	with_prefix unshare -n
	krun noroute-default --root "$root" -- true
	expect_status "no usable interface, default: the run goes on" 0
	case $(cat "$last.err") in
	*"running without a network: passt exited at start (status 1): External interface not usable"*)
		pass "no usable interface, default: the warning names passt's cause" ;;
	*) fail "no usable interface, default: the warning names passt's cause" ;;
	esac
	krun noroute-explicit --root "$root" --net passt -- true
	without_prefix
	expect_status "no usable interface, --net passt: exit status" 125
	expect_eq "no usable interface, --net passt: one line" \
		"krun-run: passt exited at start (status 1): External interface not usable" \
		"$(cat "$last.err")"
}

passt_killed() {
	local pid ppid i
	rm -f "$root/ready" "$root/go"
	timeout -k 5 "$check_timeout" "$KRUN_RUN" --root "$root" -- /bin/sh -c '
		touch /ready
		while [ ! -e /go ]; do sleep 0.2; done
		nc -w 3 192.0.2.1 8000 </dev/null >/dev/null 2>&1
		echo "nc $?"' </dev/null >"$work/killed.out" 2>"$work/killed.err" &
	pid=$!
	last=$work/killed last_cmd="krun-run ... (passt killed mid-run)"
	for i in $(seq 240); do [ -e "$root/ready" ] && break; sleep 0.5; done
	# passt re-executes itself as passt.avx2 where the CPU has AVX2.
	ppid=$(pgrep passt)
	kill -KILL $ppid
	touch "$root/go"
	wait "$pid"
	echo "$?" >"$work/killed.rc"
	expect_status "passt killed: guest and VMM end with the workload's status" 0
	case $(cat "$work/killed.err") in
	*"passt exited while the VM runs (killed by signal 9"*)
		pass "passt killed: a clear error" ;;
	*) fail "passt killed: a clear error" ;;
	esac
	case $(line_of nc "$work/killed.out") in
	0 | '') fail "passt killed: the guest's connection fails" ;;
	*) pass "passt killed: the guest's connection fails" ;;
	esac
}

gvproxy_peer() {
	local sock=$work/gv.sock peer
	python3 "$(dirname "$0")/net-gvproxy-peer.py" "$sock" 2>"$work/peer.err" &
	peer=$!
	for i in $(seq 40); do [ -S "$sock" ] && break; sleep 0.25; done
	krun gvproxy --root "$root" --net "gvproxy=$sock" -- \
		wget -q -O- "http://$gw:8000/"
	expect_status "gvproxy (test peer): exit status" 0
	expect_file "gvproxy (test peer): fetch through the datagram framing" \
		"$last.out" $'hello-from-host\n'
	expect_eq "gvproxy: our socket is removed" "" "$(ls "$sock-krun.sock" 2>/dev/null)"
	kill "$peer" 2>/dev/null
	wait "$peer" 2>/dev/null
}

passt_fd_api() {
	last=$work/api last_cmd="net-passt-fd ROOT wget ..."
	timeout -k 5 "$check_timeout" "$helpers/net-passt-fd" "$root" \
		/usr/bin/wget -q -O- "http://$gw:8000/" </dev/null \
		>"$last.out" 2>"$last.err"
	echo "$?" >"$last.rc"
	expect_status "krun_set_passt_fd (C client): exit status" 0
	expect_file "krun_set_passt_fd (C client): fetch" "$last.out" \
		$'hello-from-host\n'
}

chroot_vm_api() {
	last=$work/chroot last_cmd="chroot_vm -p -w tmp ROOT /bin/sh -c ..."
	timeout -k 5 "$check_timeout" "$helpers/chroot_vm" -p -w tmp "$root" \
		/bin/sh -c 'ulimit -n; ulimit -Hn; pwd; echo "$KRUN_CLIENT"
			grep -c ^processor /proc/cpuinfo
			wget -q -O- http://192.0.2.1:8000/; exit 7' </dev/null \
		>"$last.out" 2>"$last.err"
	echo "$?" >"$last.rc"
	expect_status "chroot_vm (libkrun client): the workload's status" 7
	expect_file "chroot_vm: rlimits, relative workdir, env, 4 vCPUs, fetch" \
		"$last.out" $'256\n512\n/tmp\nchroot\n4\nhello-from-host\n'
	last=$work/chroot32 last_cmd="chroot_vm -m 32 ROOT /bin/sh -c ..."
	timeout -k 5 "$check_timeout" "$helpers/chroot_vm" -m 32 "$root" \
		/bin/sh -c 'echo small; exit 3' </dev/null \
		>"$last.out" 2>"$last.err"
	echo "$?" >"$last.rc"
	expect_status "chroot_vm -m 32: a 32 MiB guest runs" 3
	expect_file "chroot_vm -m 32: output" "$last.out" $'small\n'
}

refused() {
	krun refused-fd --root "$root" --net passt-fd=0 -p 80:80 -- true
	expect_status "-p with the caller's passt socket: refused" 125
	case $(cat "$last.err") in
	*"configure forwarding in the proxy"*) pass "-p refused: says to configure the proxy" ;;
	*) fail "-p refused: says to configure the proxy" ;;
	esac
	krun refused-dup --root "$root" -p 80:80 -p 127.0.0.1:80:81 -- true
	expect_status "duplicate host port: refused" 125
}

case $part in
core)
	start_dns
	done_when_fetch
	fetch_blob
	guest_checks
	done_when_publish
	udp_map
	net_none
	read_only_resolv
	no_passt_left core
	;;
failures)
	passt_missing
	no_route
	passt_killed
	gvproxy_peer
	passt_fd_api
	chroot_vm_api
	refused
	no_passt_left failures
	boot_cost
	;;
blob64)
	blob_mb=64
	fetch_blob
	no_passt_left blob
	;;
*)
	echo "unknown part $part" >&2
	exit 2
	;;
esac
checks_done
