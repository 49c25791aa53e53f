// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/console.h"
#include "virtio/mmio.h"

#define QSIZE 16
#define BUF 128
#define Q_CRX 2
#define Q_CTX 3

struct fixture {
	struct fake_dev d;
	int in[2], out[2], err[2];
	uint64_t bufs[16][QSIZE]; /* gpa of the buffer behind each head */
	char outpath[64];
};

static uint16_t rx_q(unsigned int port)
{
	return port == 0 ? 0 : 2 * port + 2;
}

static uint16_t tx_q(unsigned int port)
{
	return port == 0 ? 1 : 2 * port + 3;
}

static void give_rx(struct fixture *f, unsigned int q)
{
	struct fake_buf b = {fg_alloc(&f->d.g, BUF, 8), BUF, true};
	uint16_t head = fvq_add(&f->d.vqs[q], &b, 1);

	f->bufs[q][head] = b.gpa;
	fdev_kick(&f->d, q);
}

static void send_tx(struct fixture *f, unsigned int q, const void *data,
		    uint32_t len, bool kick)
{
	struct fake_buf b = {fg_alloc(&f->d.g, len, 8), len, false};

	memcpy(fg_ptr(&f->d.g, b.gpa), data, len);
	fvq_add(&f->d.vqs[q], &b, 1);
	if (kick)
		fdev_kick(&f->d, q);
}

static void send_ctrl(struct fixture *f, uint32_t id, uint16_t ev, uint16_t v)
{
	uint8_t m[8];
	uint32_t hid, len;

	memcpy(m, &id, 4);
	memcpy(m + 4, &ev, 2);
	memcpy(m + 6, &v, 2);
	send_tx(f, Q_CTX, m, 8, true);
	assert_true(fvq_wait_used(&f->d.vqs[Q_CTX], &hid, &len, 2000));
}

/* Receive one control message; refills the control receive queue. */
static void recv_ctrl(struct fixture *f, uint32_t *id, uint16_t *ev,
		      uint16_t *v, char *extra)
{
	uint32_t head, len;
	uint8_t *m;

	assert_true(fvq_wait_used(&f->d.vqs[Q_CRX], &head, &len, 2000));
	assert_true(len >= 8);
	m = fg_ptr(&f->d.g, f->bufs[Q_CRX][head]);
	memcpy(id, m, 4);
	memcpy(ev, m + 4, 2);
	memcpy(v, m + 6, 2);
	if (extra) {
		memcpy(extra, m + 8, len - 8);
		extra[len - 8] = 0;
	}
	give_rx(f, Q_CRX);
}

static void expect_ctrl(struct fixture *f, uint32_t id, uint16_t ev, uint16_t v,
			const char *extra)
{
	uint32_t gid;
	uint16_t gev, gv;
	char gextra[BUF];

	recv_ctrl(f, &gid, &gev, &gv, gextra);
	assert_int_equal(gid, id);
	assert_int_equal(gev, ev);
	if (!extra)
		assert_int_equal(gv, v);
	else
		assert_string_equal(gextra, extra);
}

static void read_exact(int fd, const char *expect)
{
	char buf[BUF] = {0};
	size_t want = strlen(expect), got = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (got < want) {
		ssize_t n;

		assert_true(poll(&p, 1, 2000) == 1);
		n = read(fd, buf + got, want - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_string_equal(buf, expect);
}

static const char *const names[3] = {"krun-stdin", "krun-stdout",
				     "krun-stderr"};

static struct virtio_device *pipe_console(struct fixture *f)
{
	struct virtio_console_opts o = {
		.stdin_fd = f->in[0],
		.stdout_fd = f->out[1],
		.stderr_fd = f->err[1],
		.port_names = {names[0], names[1], names[2]},
	};

	return virtio_console_create(&o, NULL);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(pipe(f->in), 0);
	assert_int_equal(pipe(f->out), 0);
	assert_int_equal(pipe(f->err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->d.t)
		fdev_stop(&f->d);
	for (int i = 0; i < 2; i++) {
		close(f->in[i]);
		close(f->out[i]);
		close(f->err[i]);
	}
	if (f->outpath[0])
		unlink(f->outpath);
	free(f);
	return 0;
}

/* Bring the device up like Linux does: DEVICE_READY, then PORT_READY per
 * port, checking the device's answers. */
static void handshake(struct fixture *f, struct virtio_device *dev,
		      unsigned int nports)
{
	uint32_t max;

	assert_int_equal(
		fdev_start(&f->d, dev, 2 * (nports + 1), QSIZE, 1ull << 1),
		0xf);
	max = fdev_rd(&f->d, 0x104);
	assert_int_equal(max, nports);
	for (int i = 0; i < 8; i++)
		give_rx(f, Q_CRX);
	send_ctrl(f, 0xffffffff, 0, 1); /* DEVICE_READY */
	for (uint32_t i = 0; i < nports; i++)
		expect_ctrl(f, i, 1, 0, NULL); /* PORT_ADD */
	send_ctrl(f, 0, 3, 1);		       /* PORT_READY */
	expect_ctrl(f, 0, 4, 1, NULL);	       /* CONSOLE_PORT */
}

static void ports_ready_eof(struct fixture *f, bool stdin_eof)
{
	expect_ctrl(f, 0, 6, 1, NULL); /* PORT_OPEN: host connected */
	for (uint32_t i = 1; i < 4; i++) {
		send_ctrl(f, i, 3, 1);
		expect_ctrl(f, i, 7, 0, names[i - 1]);
		expect_ctrl(f, i, 6, 1, NULL);
		if (i == 1 && stdin_eof) /* then host_connected=0 at once */
			expect_ctrl(f, 1, 6, 0, NULL);
	}
}

static void ports_ready(struct fixture *f)
{
	ports_ready_eof(f, false);
}

static void test_pipe_mode_round_trip(void **state)
{
	struct fixture *f = *state;
	uint32_t head, len;

	handshake(f, pipe_console(f), 4);
	ports_ready(f);
	/* Host stdin reaches the guest only once it opened krun-stdin. */
	assert_int_equal(write(f->in[1], "hello", 5), 5);
	give_rx(f, rx_q(1));
	send_ctrl(f, 1, 6, 1);
	assert_true(fvq_wait_used(&f->d.vqs[rx_q(1)], &head, &len, 2000));
	assert_int_equal(len, 5);
	assert_memory_equal(fg_ptr(&f->d.g, f->bufs[rx_q(1)][head]), "hello",
			    5);
	/* EOF on host stdin: PORT_OPEN(host_connected=0) for krun-stdin */
	close(f->in[1]);
	f->in[1] = -1;
	expect_ctrl(f, 1, 6, 0, NULL);
	/* Output is kept apart per port. */
	send_tx(f, tx_q(2), "to stdout", 9, true);
	send_tx(f, tx_q(3), "to stderr", 9, true);
	read_exact(f->out[0], "to stdout");
	read_exact(f->err[0], "to stderr");
	send_tx(f, tx_q(0), "console", 7, true);
	read_exact(f->err[0], "console");
}

static void test_drain_and_epipe(void **state)
{
	struct fixture *f = *state;
	struct virtio_device *dev = pipe_console(f);
	struct fake_vq *q = &f->d.vqs[tx_q(2)];
	uint32_t head, len;
	char buf[16] = {0};

	handshake(f, dev, 4);
	ports_ready(f);
	/* Not kicked: only the drain writes it out, synchronously. */
	send_tx(f, tx_q(2), "late", 4, false);
	virtio_console_drain(dev);
	assert_int_equal(fcntl(f->out[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(read(f->out[0], buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "late", 4);
	assert_true(fvq_get_used(q, &head, &len));
	/* Reader gone: EPIPE, no SIGPIPE (drain runs on this thread, where
	 * SIGPIPE is not blocked), buffers are still completed. */
	close(f->out[0]);
	f->out[0] = -1;
	send_tx(f, tx_q(2), "lost", 4, false);
	virtio_console_drain(dev);
	assert_true(fvq_get_used(q, &head, &len));
	send_tx(f, tx_q(2), "lost", 4, true);
	assert_true(fvq_wait_used(q, &head, &len, 2000));
	/* other ports are unaffected */
	send_tx(f, tx_q(3), "still", 5, true);
	read_exact(f->err[0], "still");
}

static void expect_resize(struct fixture *f, uint16_t cols, uint16_t rows)
{
	uint32_t id;
	uint16_t ev, v, size[2];
	char extra[BUF];

	recv_ctrl(f, &id, &ev, &v, extra);
	assert_int_equal(id, 0);
	assert_int_equal(ev, 5);
	memcpy(size, extra, sizeof(size));
	assert_int_equal(size[0], cols);
	assert_int_equal(size[1], rows);
}

static void test_terminal_mode(void **state)
{
	struct fixture *f = *state;
	struct winsize ws = {.ws_row = 30, .ws_col = 100};
	struct virtio_console_opts o = {.terminal = true};
	struct virtio_device *dev;
	struct termios t;
	uint32_t head, len;
	int master, slave;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	assert_int_equal(ioctl(slave, TIOCSWINSZ, &ws), 0);
	o.stdin_fd = o.stdout_fd = o.stderr_fd = slave;
	dev = virtio_console_create(&o, NULL);
	assert_non_null(dev);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_false(t.c_lflag & ICANON);
	handshake(f, dev, 1);
	expect_resize(f, 100, 30);
	expect_ctrl(f, 0, 6, 1, NULL);
	virtio_console_resize(dev, 40, 120);
	expect_resize(f, 120, 40);
	assert_int_equal(fdev_rd(&f->d, 0x100), 40u << 16 | 120);
	/* stdin -> port 0 once the guest opened it, port 0 -> stdout */
	send_ctrl(f, 0, 6, 1);
	give_rx(f, rx_q(0));
	assert_int_equal(write(master, "ab", 2), 2);
	assert_true(fvq_wait_used(&f->d.vqs[rx_q(0)], &head, &len, 2000));
	assert_int_equal(len, 2);
	send_tx(f, tx_q(0), "x\ny", 3, true);
	read_exact(master, "x\ny"); /* raw: no \r added */
	virtio_console_restore_terminal(dev);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true(t.c_lflag & ICANON);
	fdev_stop(&f->d);
	close(slave);
	close(master);
}

static void test_bad_options(void **state)
{
	struct fixture *f = *state;
	struct virtio_console_opts o = {
		.stdin_fd = f->in[0], .stdout_fd = -1, .stderr_fd = -1};
	struct krun_err *err = NULL;

	assert_null(virtio_console_create(&o, &err)); /* no port names */
	krun_err_free(&err);
	o.terminal = true; /* a pipe is not a terminal */
	assert_null(virtio_console_create(&o, &err));
	assert_int_equal(err->errnum, ENOTTY);
	krun_err_free(&err);
	o.terminal = false;
	o.output_path = "/nonexistent/dir/out.log";
	o.port_names[0] = "a";
	o.port_names[1] = "b";
	o.port_names[2] = "c";
	assert_null(virtio_console_create(&o, &err));
	assert_non_null(strstr(krun_err_msg(err), "/nonexistent/dir/out.log"));
	krun_err_free(&err);
}

static void test_output_file(void **state)
{
	struct fixture *f = *state;
	struct virtio_console_opts o = {
		.stdin_fd = f->in[0],
		.stdout_fd = f->out[1],
		.stderr_fd = f->err[1],
		.port_names = {names[0], names[1], names[2]},
	};
	struct virtio_device *dev;
	char buf[64] = {0};
	int fd;

	strcpy(f->outpath, "/tmp/krun-con-test-XXXXXX");
	fd = mkstemp(f->outpath);
	assert_int_equal(write(fd, "old\n", 4), 4);
	close(fd);
	o.output_path = f->outpath;
	dev = virtio_console_create(&o, NULL);
	assert_non_null(dev);
	handshake(f, dev, 4);
	/* stdin is ignored: EOF right away once the port is ready */
	ports_ready_eof(f, true);
	send_tx(f, tx_q(2), "out,", 4, true);
	virtio_console_drain(dev);
	send_tx(f, tx_q(3), "err", 3, false);
	virtio_console_drain(dev);
	fd = open(f->outpath, O_RDONLY);
	assert_true(read(fd, buf, sizeof(buf)) > 0);
	close(fd);
	assert_string_equal(buf, "old\nout,err");
}

/* A malformed chain on krun-stdout's transmit queue: NEEDS_RESET, and
 * neither the worker nor a drain writes what follows it. */
static void test_malformed_chain_needs_reset(void **state)
{
	struct fixture *f = *state;
	struct virtio_device *dev = pipe_console(f);
	struct fake_buf b = {0, 4, false};
	struct pollfd p = {.fd = f->out[0], .events = POLLIN};

	handshake(f, dev, 4);
	ports_ready(f);
	b.gpa = fg_alloc(&f->d.g, 4, 8);
	memcpy(fg_ptr(&f->d.g, b.gpa), "lost", 4);
	fdev_check_malformed_policy(&f->d, tx_q(2), "console", &b, 1);
	virtio_console_drain(dev);
	assert_int_equal(poll(&p, 1, 100), 0);
	/* The other ports still work. */
	send_tx(f, tx_q(3), "to stderr", 9, true);
	read_exact(f->err[0], "to stderr");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pipe_mode_round_trip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_and_epipe, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_output_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_terminal_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_options, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_malformed_chain_needs_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
