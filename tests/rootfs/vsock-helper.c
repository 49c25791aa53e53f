/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vsock-helper: AF_VSOCK (and AF_UNIX, TCP) streams for system tests and
 * benchmarks; busybox has no vsock client. Static, so it runs in the guest
 * and on the test host alike. ADDR is `CID PORT` for connect and `PORT`
 * for listen (AF_VSOCK), or `unix:PATH` or `tcp:IPV4:PORT` (TCP_NODELAY)
 * for either.
 *
 *   connect ADDR             stdin -> socket (then SHUT_WR), socket -> stdout
 *   listen ADDR              accept one connection, then the same
 *   xfer connect|listen ADDR BYTES SEND_SEED RECV_SEED
 *                            send BYTES of pattern SEND_SEED while reading
 *                            the peer's; prints "sent FNV N recv FNV N ok MS"
 *                            (ok: what came is RECV_SEED's pattern; MS: the
 *                            milliseconds from connected to both ends done)
 *   serve ADDR MODE [N]      accept connections until killed; per
 *                            connection MODE: echo, noread, sink (read to
 *                            EOF, then close), reply (read to
 *                            EOF, answer "got N"), send-close (N bytes of
 *                            pattern 1, then close), read-close (read N
 *                            bytes, then close); seq-echo: echo, one
 *                            connection at a time, no fork (for latency)
 *   multi ADDR N BYTES       N connections open at once, BYTES echoed on
 *                            each; prints "multi ok N" or what failed
 *   write ADDR BYTES         write BYTES, SHUT_WR, read to EOF; prints
 *                            "write ok|ERRNO" and "read N|ERRNO"
 *   connects ADDR N          N times: connect, 1 byte there and back, close;
 *                            prints "connects N avg_us U"
 *   rtt ADDR N               one connection, N times 1 byte there and back
 *                            (an echo peer); prints "rtt N avg_us U"
 *
 * With VSOCK_READY=FILE in the environment, the listening commands create
 * FILE once they listen. Failures print "OP: ERRNO-NAME" and exit 1; bad
 * usage exits 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK 65536

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

union addr {
	struct sockaddr sa;
	struct sockaddr_vm vm;
	struct sockaddr_un un;
	struct sockaddr_in in;
};

static __attribute__((noreturn)) void die(const char *op)
{
	printf("%s: %s\n", op, strerrorname_np(errno));
	fflush(stdout);
	exit(1);
}

static __attribute__((noreturn)) void usage(void)
{
	fprintf(stderr,
		"usage: see the comment at the top of vsock-helper.c\n");
	exit(2);
}

/* Parse ADDR at argv[*i]; advance *i past it. */
static socklen_t parse_addr(char **argv, int argc, int *i, bool listen,
			    union addr *a)
{
	memset(a, 0, sizeof(*a));
	if (*i < argc && !strncmp(argv[*i], "unix:", 5)) {
		a->un.sun_family = AF_UNIX;
		snprintf(a->un.sun_path, sizeof(a->un.sun_path), "%s",
			 argv[(*i)++] + 5);
		return sizeof(a->un);
	}
	if (*i < argc && !strncmp(argv[*i], "tcp:", 4)) {
		char host[64];
		const char *colon = strrchr(argv[*i] + 4, ':');

		if (!colon || colon - (argv[*i] + 4) >= (long)sizeof(host))
			usage();
		snprintf(host, sizeof(host), "%.*s",
			 (int)(colon - (argv[*i] + 4)), argv[*i] + 4);
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 0));
		if (inet_pton(AF_INET, host, &a->in.sin_addr) != 1)
			usage();
		(*i)++;
		return sizeof(a->in);
	}
	a->vm.svm_family = AF_VSOCK;
	a->vm.svm_cid = VMADDR_CID_ANY;
	if (!listen) {
		if (*i >= argc)
			usage();
		a->vm.svm_cid = (unsigned int)strtoul(argv[(*i)++], NULL, 0);
	}
	if (*i >= argc)
		usage();
	a->vm.svm_port = (unsigned int)strtoul(argv[(*i)++], NULL, 0);
	return sizeof(a->vm);
}

/* Requests of one byte must not wait for Nagle's algorithm. */
static void tcp_nodelay(int fd)
{
	int one = 1;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_INET)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int do_connect(const union addr *a, socklen_t len)
{
	int fd = socket(a->sa.sa_family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, &a->sa, len) < 0)
		die("connect");
	tcp_nodelay(fd);
	return fd;
}

static int do_listen(const union addr *a, socklen_t len)
{
	int fd = socket(a->sa.sa_family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (a->sa.sa_family == AF_UNIX)
		unlink(a->un.sun_path);
	if (a->sa.sa_family == AF_INET)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1},
			   sizeof(int));
	if (bind(fd, &a->sa, len) < 0)
		die("bind");
	if (listen(fd, 1024) < 0)
		die("listen");
	if (getenv("VSOCK_READY")) /* tell a waiting test we listen */
		close(open(getenv("VSOCK_READY"), O_CREAT | O_WRONLY, 0644));
	return fd;
}

static int accept_one(int lfd)
{
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		die("accept");
	tcp_nodelay(fd);
	return fd;
}

/* The byte stream of a seed: xorshift64 words, little end first. */
struct pattern {
	uint64_t state;
	uint64_t word;
	unsigned int left;
};

static uint8_t pat_next(struct pattern *p)
{
	uint8_t b;

	if (!p->left) {
		p->state ^= p->state << 13;
		p->state ^= p->state >> 7;
		p->state ^= p->state << 17;
		p->word = p->state;
		p->left = 8;
	}
	b = (uint8_t)p->word;
	p->word >>= 8;
	p->left--;
	return b;
}

static struct pattern pat_init(uint64_t seed)
{
	return (struct pattern){.state = seed * 0x9e3779b97f4a7c15ull + 1};
}

static void fnv(uint64_t *h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*h = (*h ^ p[i]) * 0x100000001b3ull;
}

static ssize_t write_all(int fd, const uint8_t *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

/* stdin -> fd (SHUT_WR at EOF) while fd -> stdout; ends at fd's EOF. */
static int splice_stdio(int fd)
{
	struct pollfd p[2] = {{0, POLLIN, 0}, {fd, POLLIN, 0}};
	uint8_t buf[CHUNK];

	for (;;) {
		if (poll(p, 2, -1) < 0)
			die("poll");
		if (p[0].revents) {
			ssize_t n = read(0, buf, sizeof(buf));

			if (n <= 0) {
				shutdown(fd, SHUT_WR);
				p[0].fd = -1;
			} else if (write_all(fd, buf, (size_t)n) < 0) {
				die("write");
			}
		}
		if (p[1].revents) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n < 0)
				die("read");
			if (n == 0)
				return 0;
			if (write_all(1, buf, (size_t)n) < 0)
				die("write stdout");
		}
	}
}

struct xfer {
	struct pattern out, in;
	uint64_t total, sent, got;
	uint64_t out_sum, in_sum;
	bool in_ok;
};

static void xfer_send(int fd, struct xfer *x, struct pollfd *p)
{
	uint8_t buf[CHUNK];
	struct pattern save = x->out;
	size_t n = x->total - x->sent < CHUNK ? x->total - x->sent : CHUNK;
	ssize_t w;

	for (size_t i = 0; i < n; i++)
		buf[i] = pat_next(&x->out);
	w = send(fd, buf, n, MSG_DONTWAIT);
	if (w < 0 && errno != EAGAIN)
		die("send");
	if (w < 0)
		w = 0;
	/* rewind what was not taken */
	x->out = save;
	for (ssize_t i = 0; i < w; i++)
		pat_next(&x->out);
	fnv(&x->out_sum, buf, (size_t)w);
	x->sent += (uint64_t)w;
	if (x->sent == x->total) {
		shutdown(fd, SHUT_WR);
		p->events &= ~POLLOUT;
	}
}

static bool xfer_recv(int fd, struct xfer *x)
{
	uint8_t buf[CHUNK];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && errno == EAGAIN)
		return true;
	if (n < 0)
		die("read");
	fnv(&x->in_sum, buf, (size_t)n);
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] != pat_next(&x->in))
			x->in_ok = false;
	x->got += (uint64_t)n;
	return n > 0;
}

static int cmd_xfer(int fd, uint64_t bytes, uint64_t sseed, uint64_t rseed)
{
	struct xfer x = {.out = pat_init(sseed),
			 .in = pat_init(rseed),
			 .total = bytes,
			 .out_sum = 0xcbf29ce484222325ull,
			 .in_sum = 0xcbf29ce484222325ull,
			 .in_ok = true};
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	uint64_t t0 = now_us();
	bool open = true;

	if (!bytes) {
		shutdown(fd, SHUT_WR);
		p.events = POLLIN;
	}
	while (open || x.sent < bytes) {
		if (poll(&p, 1, -1) < 0)
			die("poll");
		if (p.revents & POLLOUT)
			xfer_send(fd, &x, &p);
		if (open && (p.revents & (POLLIN | POLLHUP | POLLERR)))
			open = xfer_recv(fd, &x);
		if (!open)
			p.events &= ~POLLIN;
		if (!open && (p.revents & (POLLHUP | POLLERR)) &&
		    !(p.revents & POLLOUT))
			break; /* the peer is gone: nothing more can be sent */
	}
	printf("sent %016llx %llu recv %016llx %llu %s %llu\n",
	       (unsigned long long)x.out_sum, (unsigned long long)x.sent,
	       (unsigned long long)x.in_sum, (unsigned long long)x.got,
	       x.in_ok && x.sent == bytes ? "ok" : "bad",
	       (unsigned long long)((now_us() - t0) / 1000));
	return x.in_ok && x.sent == bytes ? 0 : 1;
}

static void drain(int fd, uint64_t *n)
{
	uint8_t buf[CHUNK];
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		*n += (uint64_t)r;
}

static void send_pattern(int fd, uint64_t bytes)
{
	struct pattern p = pat_init(1);
	uint8_t buf[CHUNK];

	while (bytes) {
		size_t n = bytes < CHUNK ? bytes : CHUNK;

		for (size_t i = 0; i < n; i++)
			buf[i] = pat_next(&p);
		if (write_all(fd, buf, n) < 0)
			return;
		bytes -= n;
	}
}

/* One served connection, in a child process. */
static void serve_conn(int fd, const char *mode, uint64_t n)
{
	uint8_t buf[CHUNK];
	uint64_t got = 0;
	ssize_t r;
	char msg[64];

	if (!strcmp(mode, "echo")) {
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			if (write_all(fd, buf, (size_t)r) < 0)
				break;
	} else if (!strcmp(mode, "noread")) {
		pause();
	} else if (!strcmp(mode, "sink")) {
		drain(fd, &got);
	} else if (!strcmp(mode, "reply")) {
		drain(fd, &got);
		snprintf(msg, sizeof(msg), "got %llu\n",
			 (unsigned long long)got);
		write_all(fd, (uint8_t *)msg, strlen(msg));
	} else if (!strcmp(mode, "send-close")) {
		send_pattern(fd, n);
	} else if (!strcmp(mode, "read-close")) {
		while (got < n && (r = read(fd, buf, sizeof(buf))) > 0)
			got += (uint64_t)r;
	}
	close(fd);
	_exit(0);
}

static __attribute__((noreturn)) void cmd_serve(int lfd, const char *mode,
						uint64_t n)
{
	signal(SIGCHLD, SIG_IGN); /* children reap themselves */
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0)
			die("accept");
		tcp_nodelay(fd);
		if (!strcmp(mode, "seq-echo")) {
			uint8_t buf[CHUNK];
			ssize_t r;

			while ((r = read(fd, buf, sizeof(buf))) > 0 &&
			       write_all(fd, buf, (size_t)r) >= 0)
				;
			close(fd);
			continue;
		}
		if (fork() == 0) {
			close(lfd);
			serve_conn(fd, mode, n);
		}
		close(fd);
	}
}

static int multi_check(int fd, uint64_t bytes, unsigned int i)
{
	struct pattern p = pat_init(i + 1);
	uint8_t buf[CHUNK];
	uint64_t got = 0;

	while (got < bytes) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r <= 0) {
			printf("multi: connection %u: %s after %llu bytes\n", i,
			       r < 0 ? strerrorname_np(errno) : "EOF",
			       (unsigned long long)got);
			return 1;
		}
		for (ssize_t k = 0; k < r; k++)
			if (buf[k] != pat_next(&p)) {
				printf("multi: connection %u: wrong data\n", i);
				return 1;
			}
		got += (uint64_t)r;
	}
	return 0;
}

static int cmd_multi(const union addr *a, socklen_t len, unsigned int n,
		     uint64_t bytes)
{
	int *fds = calloc(n, sizeof(int));
	uint8_t buf[CHUNK];
	int bad = 0;

	if (!fds || bytes > CHUNK)
		usage();
	for (unsigned int i = 0; i < n; i++)
		fds[i] = do_connect(a, len);
	for (unsigned int i = 0; i < n; i++) {
		struct pattern p = pat_init(i + 1);

		for (uint64_t k = 0; k < bytes; k++)
			buf[k] = pat_next(&p);
		if (write_all(fds[i], buf, bytes) < 0)
			die("write");
	}
	for (unsigned int i = 0; i < n; i++)
		bad |= multi_check(fds[i], bytes, i);
	for (unsigned int i = 0; i < n; i++)
		close(fds[i]);
	if (!bad)
		printf("multi ok %u\n", n);
	free(fds);
	return bad;
}

static int cmd_write(int fd, uint64_t bytes)
{
	uint8_t buf[CHUNK] = {0};
	uint64_t got = 0;
	ssize_t r;

	signal(SIGPIPE, SIG_IGN);
	while (bytes) {
		size_t n = bytes < CHUNK ? bytes : CHUNK;

		if (write_all(fd, buf, n) < 0)
			break;
		bytes -= n;
	}
	printf("write %s\n", bytes ? strerrorname_np(errno) : "ok");
	shutdown(fd, SHUT_WR);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		got += (uint64_t)r;
	if (r < 0)
		printf("read %s\n", strerrorname_np(errno));
	else
		printf("read %llu\n", (unsigned long long)got);
	return 0;
}

static int cmd_connects(const union addr *a, socklen_t len, unsigned int n)
{
	uint64_t t0 = now_us();
	char c = 'x';

	for (unsigned int i = 0; i < n; i++) {
		int fd = do_connect(a, len);

		if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
			die("echo");
		close(fd);
	}
	printf("connects %u avg_us %llu\n", n,
	       (unsigned long long)(n ? (now_us() - t0) / n : 0));
	return 0;
}

static int cmd_rtt(const union addr *a, socklen_t len, unsigned int n)
{
	int fd = do_connect(a, len);
	uint64_t t0 = now_us();
	char c = 'x';

	for (unsigned int i = 0; i < n; i++)
		if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
			die("echo");
	printf("rtt %u avg_us %llu\n", n,
	       (unsigned long long)(n ? (now_us() - t0) / n : 0));
	close(fd);
	return 0;
}

static uint64_t num(char **argv, int argc, int i)
{
	if (i >= argc)
		usage();
	return strtoull(argv[i], NULL, 0);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	bool xfer = !strcmp(cmd, "xfer");
	bool listen_side;
	union addr a;
	socklen_t len;
	int i = xfer ? 3 : 2, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (xfer && argc < 3)
		usage();
	listen_side = !strcmp(xfer ? argv[2] : cmd, "listen") ||
		      !strcmp(cmd, "serve");
	len = parse_addr(argv, argc, &i, listen_side, &a);
	if (!strcmp(cmd, "serve"))
		cmd_serve(do_listen(&a, len), i < argc ? argv[i] : "",
			  i + 1 < argc ? num(argv, argc, i + 1) : 0);
	if (!strcmp(cmd, "connects"))
		return cmd_connects(&a, len, (unsigned int)num(argv, argc, i));
	if (!strcmp(cmd, "rtt"))
		return cmd_rtt(&a, len, (unsigned int)num(argv, argc, i));
	if (!strcmp(cmd, "multi"))
		return cmd_multi(&a, len, (unsigned int)num(argv, argc, i),
				 num(argv, argc, i + 1));
	fd = listen_side ? accept_one(do_listen(&a, len)) : do_connect(&a, len);
	if (xfer)
		return cmd_xfer(fd, num(argv, argc, i), num(argv, argc, i + 1),
				num(argv, argc, i + 2));
	if (!strcmp(cmd, "write"))
		return cmd_write(fd, num(argv, argc, i));
	if (!strcmp(cmd, "connect") || !strcmp(cmd, "listen"))
		return splice_stdio(fd);
	usage();
}
