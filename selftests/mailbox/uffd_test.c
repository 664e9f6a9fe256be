// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of a zero-capacity sender whose buffer a userfaultfd handler
 * fills on demand, as in a process restored lazily (CRIU) or migrated
 * post-copy.  Its receiver copies straight from the sender's pages (of a
 * message of more than 256 bytes: a shorter one the send copies in
 * itself, as it starts), which
 * are not there until the handler fills them: the send must get them
 * filled (it used to fail with EFAULT), the receiver must not wait for
 * the handler beyond its own deadline or at all when non-blocking, the
 * sender must stay killable while its handler takes its time, and a
 * message bigger than what stays resident of it, or into a receiver's
 * buffer bigger than what stays resident of it, must still get through.
 *
 * Kernel-mode userfaultfd faults need CAP_SYS_PTRACE or
 * vm.unprivileged_userfaultfd=1: these tests run as root.  They skip on a
 * kernel without userfaultfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define PAGES	5
#define LEN	(4 * 4096 + 100)	/* five pages, the last one partly */
#define SEED	7

/* A message bigger than what stays resident of it: see below. */
#define BIG_PAGES	64
#define BIG_LEN		(BIG_PAGES * 4096)
#define BIG_KEEP	24

/*
 * A buffer registered with userfaultfd, and its handler thread, which
 * fills each missing page from @src.  With @keep, it also drops the page
 * it filled longest ago (MADV_DONTNEED) once @keep are filled, as reclaim
 * would in a memory cgroup smaller than the buffer; with @swap, it first
 * saves what that page held into @src, so that the page comes back with
 * it, as from swap.  The page goes before the fault is resolved, while
 * the faulting thread still waits, so nothing writes it meanwhile.
 */
struct pager {
	int uffd;
	char *area;		/* the buffer */
	char *src;		/* what its pages are filled from */
	int keep;		/* 0, or how many pages stay filled */
	bool swap;		/* keep what a dropped page held in @src */
	int report;		/* -1, or a byte written here for each fault */
	int hold;		/* -1, or wait (@hold_ms at most) for a byte
				 * here before filling a page
				 */
	int hold_ms;
	char *filled[BIG_KEEP];	/* with @keep: the pages filled, a ring */
	int nfilled;
};

/* With @keep: drop the page filled longest ago if @keep are filled. */
static int drop_oldest(struct pager *f)
{
	char *old = f->filled[f->nfilled % f->keep];

	if (f->nfilled < f->keep)
		return 0;
	if (f->swap)
		memcpy(f->src + (old - f->area), old, 4096);
	return madvise(old, 4096, MADV_DONTNEED);
}

static void *page_on_fault(void *arg)
{
	struct pager *f = arg;
	struct uffd_msg msg;
	char c;

	while (read(f->uffd, &msg, sizeof(msg)) == sizeof(msg)) {
		char *page = (char *)(msg.arg.pagefault.address & ~4095UL);
		struct uffdio_copy copy = {
			.dst = (unsigned long)page,
			.src = (unsigned long)(f->src + (page - f->area)),
			.len = 4096,
		};

		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		if (f->report >= 0 && write(f->report, "f", 1) != 1)
			break;
		if (f->hold >= 0) {
			struct pollfd p = { .fd = f->hold, .events = POLLIN };

			if (poll(&p, 1, f->hold_ms) == 1 &&
			    read(f->hold, &c, 1) != 1)
				break;
		}
		if (f->keep && drop_oldest(f))
			break;
		if (ioctl(f->uffd, UFFDIO_COPY, &copy))
			break;
		if (f->keep)
			f->filled[f->nfilled++ % f->keep] = page;
	}
	return NULL;
}

/*
 * In a child: map @size bytes at f->area, every page missing, and start
 * the handler thread.  Returns 0, or the step that failed (1-4).
 */
static int start_pager(struct pager *f, size_t size)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	pthread_t thread;

	f->uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (f->uffd < 0 || ioctl(f->uffd, UFFDIO_API, &api))
		return 1;
	f->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->area == MAP_FAILED)
		return 2;
	reg.range.start = (unsigned long)f->area;
	reg.range.len = size;
	if (ioctl(f->uffd, UFFDIO_REGISTER, &reg))
		return 3;
	if (pthread_create(&thread, NULL, page_on_fault, f))
		return 4;
	return 0;
}

/* No userfaultfd in this kernel (or not for us): the tests skip. */
static int uffd_unavailable(void)
{
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC);

	if (uffd < 0)
		return errno;
	close(uffd);
	return 0;
}

/*
 * A child that sends @len bytes of @f->src from a buffer f->area whose
 * pages are all missing until its handler fills them (struct pager); it
 * exits with child_exit()'s status of the send, or 200 + n if setting up
 * failed at step n.
 */
static pid_t spawn_filled_sender(int fd, struct pager *f, size_t len)
{
	pid_t pid = fork();
	int step;

	if (pid)
		return pid;
	step = start_pager(f, (len + 4095) & ~4095UL);
	if (step)
		_exit(200 + step);
	child_exit(msg_send(fd, f->area, len, 0));
	return -1;	/* not reached */
}

/* spawn_filled_sender() of the fixture's LEN-byte message. */
static pid_t spawn_uffd_sender(int fd, const char *want, int report,
			       int hold)
{
	struct pager f = { .src = (char *)want, .report = report,
			   .hold = hold, .hold_ms = 3000 };

	return spawn_filled_sender(fd, &f, LEN);
}

FIXTURE(uffd) {
	int dev;
	int fd;
	int report[2];
	char *want;
};

FIXTURE_SETUP(uffd)
{
	struct msg_box_attr attr = {
		.capacity = MBX_CAP_ZERO,
		.max_msg_size = BIG_LEN,
		.mode = 0600,
	};
	int err = uffd_unavailable();

	self->dev = -1;
	self->fd = -1;
	if (err)
		SKIP(return, "no userfaultfd: %s", strerror(err));
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	self->fd = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE |
				MBX_O_SEND | MBX_O_RECV, &attr, NULL);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, pipe2(self->report, O_CLOEXEC));
	self->want = aligned_alloc(4096, PAGES * 4096);
	ASSERT_NE(NULL, self->want);
	memset(self->want, 0, PAGES * 4096);
	fill(self->want, LEN, SEED);
}

FIXTURE_TEARDOWN(uffd)
{
	if (self->fd < 0)
		return;
	close(self->report[0]);
	close(self->report[1]);
	close(self->fd);
	close(self->dev);
	free(self->want);
}

/* Bytes in the report pipe so far: the faults the handler saw. */
static int faults_seen(int rd)
{
	struct pollfd p = { .fd = rd, .events = POLLIN };
	int n = 0;
	char c;

	while (poll(&p, 1, 0) == 1 && read(rd, &c, 1) == 1)
		n++;
	return n;
}

/* The handler fills every page, and the receiver gets the message. */
TEST_F(uffd, message_from_pages_a_handler_fills)
{
	char *buf = malloc(LEN);
	pid_t tx;
	ssize_t n;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	ASSERT_NE(NULL, buf);
	tx = spawn_uffd_sender(self->fd, self->want, self->report[1], -1);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	n = msg_recv_timed(self->fd, buf, LEN, 0, 5000 * MS, NULL);
	EXPECT_EQ(LEN, n) TH_LOG("receive: %s", strerror(-n));
	EXPECT_EQ(0, check_fill(buf, LEN, SEED));
	EXPECT_EQ(0, reap(tx));
	EXPECT_EQ(PAGES, faults_seen(self->report[0]));
	free(buf);
}

/*
 * A sender whose handler holds each page until a byte arrives on
 * @hold[1] (3 s at most), blocked on the mailbox: its pid, or -1.
 */
static pid_t start_held_sender(FIXTURE_DATA(uffd) *self, int hold[2])
{
	pid_t tx;

	if (pipe2(hold, O_CLOEXEC))
		return -1;
	tx = spawn_uffd_sender(self->fd, self->want, self->report[1],
			       hold[0]);
	if (tx < 0 || wait_blocked(self->fd, 1, -1))
		return -1;
	return tx;
}

/*
 * Let start_held_sender()'s handler fill the pages: the message then
 * arrives whole into @buf, and the sender ends well.
 */
static void finish_held_sender(struct __test_metadata *_metadata,
			       FIXTURE_DATA(uffd) *self, pid_t tx,
			       int hold[2], char *buf)
{
	ssize_t n;

	ASSERT_EQ(PAGES, write(hold[1], "ggggg", PAGES));
	n = msg_recv_timed(self->fd, buf, LEN, 0, 10000 * MS, NULL);
	EXPECT_EQ(LEN, n) TH_LOG("receive: %s", strerror(-n));
	EXPECT_EQ(0, check_fill(buf, LEN, SEED));
	EXPECT_EQ(0, reap(tx));
	close(hold[0]);
	close(hold[1]);
}

/*
 * The handler holds the first page back while a receiver waits for the
 * message, and the sender is killed.  It must go at once (not sleep
 * uninterruptibly through its handler's delay), and the receiver, never
 * having had the message, gets the next one instead.
 */
TEST_F(uffd, sender_killed_while_its_handler_holds_a_page)
{
	static const char next[] = "next message";
	int hold[2], result[2], status = 0;
	struct pollfd p;
	pid_t tx, rx, got;
	long long end;
	ssize_t n;
	int sent;	/* the receiver's pid, or -errno */

	if (self->fd < 0)
		return;		/* skipped in the setup */
	ASSERT_EQ(0, pipe2(result, O_CLOEXEC));
	tx = start_held_sender(self, hold);
	ASSERT_LT(0, tx);
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0) {
		char *buf = malloc(LEN);

		n = buf ? msg_recv(self->fd, buf, LEN, 0, NULL) : -ENOMEM;
		_exit(write(result[1], &n, sizeof(n)) == sizeof(n) ? 0 : 1);
	}
	/* The receiver waits, the handler holds the sender's page. */
	p = (struct pollfd){ .fd = self->report[0], .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, 10000)) {
		TH_LOG("the handler saw no fault");
		kill(tx, SIGKILL);
		kill(rx, SIGKILL);
		reap(tx);
		reap(rx);
		return;
	}

	ASSERT_EQ(0, kill(tx, SIGKILL));
	end = now_ns() + 5000 * MS;
	while ((got = waitpid(tx, &status, WNOHANG)) == 0 && now_ns() < end)
		usleep(10000);
	EXPECT_EQ(tx, got) {
		TH_LOG("the killed sender did not exit");
		kill(rx, SIGKILL);	/* lets the sender go */
		waitpid(tx, &status, 0);
	}
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	sent = msg_send_timed(self->fd, next, sizeof(next), 0, 2000 * MS);
	ASSERT_EQ((ssize_t)sizeof(n), read(result[0], &n, sizeof(n)));
	EXPECT_LE(0, sent) TH_LOG("send: %s", strerror(-sent));
	EXPECT_EQ((ssize_t)sizeof(next), n);
	EXPECT_EQ(0, reap(rx));
	close(hold[0]);
	close(hold[1]);
	close(result[0]);
	close(result[1]);
}

/*
 * The handler holds a page back: a non-blocking receive returns EAGAIN
 * at once and a timed one ETIMEDOUT at its deadline, neither waiting for
 * the handler; once it fills the pages, a receive gets the message whole.
 */
TEST_F(uffd, receiver_does_not_wait_for_the_handler)
{
	char *buf = malloc(LEN);
	long long t0, nonblock_ns, timed_ns;
	struct pollfd p;
	int hold[2];
	ssize_t n;
	pid_t tx;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	ASSERT_NE(NULL, buf);
	tx = start_held_sender(self, hold);
	ASSERT_LT(0, tx);

	t0 = now_ns();
	n = msg_recv(self->fd, buf, LEN, MBX_F_NONBLOCK, NULL);
	nonblock_ns = now_ns() - t0;
	EXPECT_EQ(-EAGAIN, n) TH_LOG("non-blocking: %zd", n);
	/* The sender pages its message in: its handler is asked. */
	p = (struct pollfd){ .fd = self->report[0], .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, 10000)) TH_LOG("the handler saw no fault");
	t0 = now_ns();
	n = msg_recv_timed(self->fd, buf, LEN, 0, 200 * MS, NULL);
	timed_ns = now_ns() - t0;
	EXPECT_EQ(-ETIMEDOUT, n) TH_LOG("timed: %zd", n);
	/* The handler holds each page for 3 s unless told. */
	EXPECT_GT(1000 * MS, nonblock_ns);
	EXPECT_GT(1500 * MS, timed_ns);
	TH_LOG("non-blocking %lld ms, timed (200 ms) %lld ms",
	       nonblock_ns / MS, timed_ns / MS);

	finish_held_sender(_metadata, self, tx, hold, buf);
	free(buf);
}

/*
 * A sender whose message is not resident is first in line, another one
 * behind it: a non-blocking receive takes the second one's message
 * rather than fail while a message is there; the first one's follows.
 */
TEST_F(uffd, non_blocking_receive_takes_the_next_sender)
{
	static const char second[] = "second sender";
	char *buf = malloc(LEN);
	int hold[2];
	pid_t tx, tx2;
	ssize_t n;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	ASSERT_NE(NULL, buf);
	tx = start_held_sender(self, hold);
	ASSERT_LT(0, tx);
	tx2 = spawn_send(self->fd, second, sizeof(second), 0);
	ASSERT_LE(0, tx2);
	ASSERT_EQ(0, wait_blocked(self->fd, 2, -1));

	n = msg_recv(self->fd, buf, LEN, MBX_F_NONBLOCK, NULL);
	EXPECT_EQ((ssize_t)sizeof(second), n) TH_LOG("non-blocking: %zd", n);
	EXPECT_EQ(0, memcmp(buf, second, sizeof(second)));
	EXPECT_EQ(0, reap(tx2));

	finish_held_sender(_metadata, self, tx, hold, buf);
	free(buf);
}

/*
 * A message bigger than what stays resident of it: its handler drops the
 * page it filled longest ago once BIG_KEEP are filled, as reclaim does in
 * a memory cgroup smaller than the message (with swap).  The receiver
 * must resume its copy where it stopped, and the sender page in no more
 * than the next stretch, so that what it paged in is still there: the
 * message arrives whole, each page filled once.  Starting again from the
 * first byte each round, or paging in all the rest, the copy went round
 * for ever (the first pages always gone by the next try).
 */
TEST_F(uffd, message_bigger_than_what_stays_resident)
{
	struct pager f = { .report = self->report[1], .hold = -1,
			   .keep = BIG_KEEP };
	char *want = aligned_alloc(4096, BIG_LEN);
	char *buf = malloc(BIG_LEN);
	int faults, status;
	ssize_t n;
	pid_t tx;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, buf);
	fill(want, BIG_LEN, SEED + 1);
	touch(buf, BIG_LEN);	/* only the sender's side pages in */
	f.src = want;
	tx = spawn_filled_sender(self->fd, &f, BIG_LEN);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));

	n = msg_recv_timed(self->fd, buf, BIG_LEN, 0, 10000 * MS, NULL);
	faults = faults_seen(self->report[0]);
	if (n != BIG_LEN)
		kill(tx, SIGKILL);	/* still sending */
	status = reap(tx);
	EXPECT_EQ(BIG_LEN, n)
		TH_LOG("receive: %s, after %d faults", strerror(-n), faults);
	if (n == BIG_LEN)
		EXPECT_EQ(0, status);
	EXPECT_EQ(0, check_fill(buf, BIG_LEN, SEED + 1));
	EXPECT_EQ(BIG_PAGES, faults);
	free(want);
	free(buf);
}

/*
 * A child that receives BIG_LEN bytes (10 s deadline), once a byte
 * arrives on @go, having written one on @ready, into a buffer that stays
 * resident only in part: struct pager with @keep BIG_KEEP and @swap.
 * With @report and @hold >= 0, its faults are served one at a time.
 * Exits 0 with the message whole, the errno, 150 (short), 151 (wrong
 * bytes), or 200 + n (setting up).
 */
static pid_t spawn_swapped_receiver(int fd, int ready, int go, int report,
				    int hold)
{
	struct pager f = { .keep = BIG_KEEP, .swap = true, .report = report,
			   .hold = hold, .hold_ms = 20000 };
	pid_t pid = fork();
	int step;
	ssize_t n;
	char c;

	if (pid)
		return pid;
	f.src = calloc(1, BIG_LEN);
	step = f.src ? start_pager(&f, BIG_LEN) : 5;
	if (step)
		_exit(200 + step);
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		_exit(206);
	n = msg_recv_timed(fd, f.area, BIG_LEN, 0, 10000 * MS, NULL);
	if (n < 0)
		_exit(-n);
	if (n != BIG_LEN)
		_exit(150);
	_exit(check_fill(f.area, BIG_LEN, SEED + 2) ? 151 : 0);
}

/*
 * The receiver's own buffer does not stay resident: it faults the next
 * stretch in and resumes its copy where it stopped, and gets the message.
 */
TEST_F(uffd, receiver_buffer_bigger_than_what_stays_resident)
{
	char *want = aligned_alloc(4096, BIG_LEN);
	int ready[2], go[2];
	pid_t tx, rx;
	char c;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	ASSERT_NE(NULL, want);
	fill(want, BIG_LEN, SEED + 2);
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	tx = spawn_send(self->fd, want, BIG_LEN, 0);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	rx = spawn_swapped_receiver(self->fd, ready[1], go[0], -1, -1);
	ASSERT_LE(0, rx);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, reap(rx));
	EXPECT_EQ(0, reap(tx));
	free(want);
}

/*
 * Two such receivers and one sender, their faults served one at a time
 * in turn (a schedule the scheduler can produce by itself): each one's
 * fault-in of its own buffer lets the other take the sender and copy.
 * What the other copied does not touch this one's buffer, so each must
 * still resume where it stopped: one of them gets the message, the
 * other times out.  (When a send named only the last receiver that
 * copied from it, neither ever resumed, and neither returned at its
 * deadline: the own-buffer retry did not look at it.)
 */
TEST_F(uffd, two_receivers_whose_buffers_take_turns)
{
	char *want = aligned_alloc(4096, BIG_LEN);
	int ready[2], go[2][2], rep[2][2], hold[2][2], st[2] = { -1, -1 };
	bool alive[2] = { true, true };
	int i, turn = 0, faults = 0, status;
	long long end;
	pid_t tx, rx[2];
	char c;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	ASSERT_NE(NULL, want);
	fill(want, BIG_LEN, SEED + 2);
	tx = spawn_send(self->fd, want, BIG_LEN, 0);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pipe2(go[i], O_CLOEXEC));
		ASSERT_EQ(0, pipe2(rep[i], O_CLOEXEC));
		ASSERT_EQ(0, pipe2(hold[i], O_CLOEXEC));
		rx[i] = spawn_swapped_receiver(self->fd, ready[1], go[i][0],
					       rep[i][1], hold[i][0]);
		ASSERT_LE(0, rx[i]);
		ASSERT_EQ(1, read(ready[0], &c, 1));
	}
	/* Each in turn takes the sender, stops at its buffer, faults. */
	for (i = 0; i < 2; i++) {
		struct pollfd p = { .fd = rep[i][0], .events = POLLIN };

		ASSERT_EQ(1, write(go[i][1], "g", 1));
		ASSERT_EQ(1, poll(&p, 1, 5000));
		ASSERT_EQ(1, read(rep[i][0], &c, 1));
	}
	/* Then one fault each, in turn, until both are done. */
	end = now_ns() + 15000 * MS;
	while ((alive[0] || alive[1]) && now_ns() < end) {
		struct pollfd p = { .fd = rep[turn][0], .events = POLLIN };

		if (alive[turn]) {
			ASSERT_EQ(1, write(hold[turn][1], "t", 1));
			faults++;
			for (;;) {
				if (poll(&p, 1, 100) == 1) {
					ASSERT_EQ(1, read(rep[turn][0], &c, 1));
					break;
				}
				if (waitpid(rx[turn], &status, WNOHANG) ==
				    rx[turn]) {
					alive[turn] = false;
					st[turn] = WIFEXITED(status) ?
						WEXITSTATUS(status) : 1000;
					break;
				}
			}
		}
		turn = !turn;
	}
	for (i = 0; i < 2; i++) {
		if (alive[i]) {
			kill(rx[i], SIGKILL);
			st[i] = reap(rx[i]);
		}
	}
	kill(tx, SIGKILL);	/* if nobody got its message */
	TH_LOG("receivers: %d %d after %d faults, sender: %d", st[0], st[1],
	       faults, reap(tx));
	EXPECT_TRUE((st[0] == 0 && st[1] == ETIMEDOUT) ||
		    (st[0] == ETIMEDOUT && st[1] == 0));
	free(want);
}

/*
 * A non-blocking receive cannot resume (its next call starts afresh), so
 * the sender it releases pages in all the rest of its message, not a
 * stretch: a poll loop gets a message that is not resident (no memory
 * pressure) after one EAGAIN, not one per 64 KiB.
 */
TEST_F(uffd, non_blocking_receive_has_the_rest_paged_in)
{
	struct pager f = { .report = self->report[1], .hold = -1 };
	char *want = aligned_alloc(4096, BIG_LEN);
	char *buf = malloc(BIG_LEN);
	ssize_t n = -EAGAIN;
	int rounds = 0, status;
	long long end;
	pid_t tx;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, buf);
	fill(want, BIG_LEN, SEED + 3);
	touch(buf, BIG_LEN);
	f.src = want;
	tx = spawn_filled_sender(self->fd, &f, BIG_LEN);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	end = now_ns() + 10000 * MS;
	while (now_ns() < end) {
		struct pollfd p = { .fd = self->fd, .events = POLLIN };

		n = msg_recv(self->fd, buf, BIG_LEN, MBX_F_NONBLOCK, NULL);
		if (n != -EAGAIN)
			break;
		rounds++;
		poll(&p, 1, 1000);
	}
	if (n != BIG_LEN)
		kill(tx, SIGKILL);	/* still sending */
	status = reap(tx);
	EXPECT_EQ(BIG_LEN, n) TH_LOG("receive: %s", strerror(-n));
	if (n == BIG_LEN)
		EXPECT_EQ(0, status);
	EXPECT_EQ(0, check_fill(buf, BIG_LEN, SEED + 3));
	EXPECT_GE(1, rounds);
	EXPECT_EQ(BIG_PAGES, faults_seen(self->report[0]));
	free(want);
	free(buf);
}

/*
 * A sender is already waiting, so a receive need not wait; but its buffer
 * is fresh anonymous memory, never touched, so the copy stops at each of
 * the receiver's own pages not yet there.  Paging its own buffer in is
 * the receiver's own time, as in any read(): a timed receive with a
 * timeout of 0, or one shorter than those faults take, gets the message
 * all the same (it failed with ETIMEDOUT while the copy moved on).
 */
TEST_F(uffd, timed_receive_pages_its_own_buffer_in)
{
	static const char msg[] = "a message that is there to be taken";
	char *want = aligned_alloc(4096, BIG_LEN);
	size_t len;
	char *buf;
	ssize_t n;
	pid_t tx;
	int i;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	ASSERT_NE(NULL, want);
	fill(want, BIG_LEN, SEED + 4);
	for (i = 0; i < 4; i++) {
		len = i % 2 ? BIG_LEN : sizeof(msg);
		buf = mmap(NULL, BIG_LEN, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, buf);
		tx = spawn_send(self->fd, i % 2 ? want : msg, len, 0);
		ASSERT_LE(0, tx);
		ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
		/* A timeout of 0; 2 ms for a message of 64 pages. */
		n = msg_recv_timed(self->fd, buf, BIG_LEN, 0,
				   i % 2 ? 2 * MS : 0, NULL);
		EXPECT_EQ((ssize_t)len, n)
			TH_LOG("round %d: %s", i, strerror(-n));
		if (n < 0)	/* the sender is still there */
			n = msg_recv(self->fd, buf, BIG_LEN, 0, NULL);
		EXPECT_EQ(0, i % 2 ? check_fill(buf, BIG_LEN, SEED + 4) :
			  memcmp(buf, msg, sizeof(msg)));
		EXPECT_EQ(0, reap(tx));
		munmap(buf, BIG_LEN);
	}
	free(want);
}

/*
 * A timed receive (timeout 0) or a non-blocking one into a buffer never
 * touched, with two senders waiting.  It takes the first, stops at its
 * own buffer and faults it in; meanwhile another receiver takes that
 * first sender.  The second is still there and the copy of it gets
 * further into the buffer, so the receive must take it (it failed with
 * ETIMEDOUT or EAGAIN when progress counted only for the same send).
 */
static void fresh_buffer_next_sender(struct __test_metadata *_metadata,
				     FIXTURE_DATA(uffd) *self, bool nonblock)
{
	char *want = aligned_alloc(4096, BIG_LEN);
	char *buf = malloc(BIG_LEN);
	int rep[2], hold[2], st;
	char gs[BIG_PAGES];
	struct pollfd p;
	pid_t tx1, tx2, rx;
	ssize_t n;
	char c;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, buf);
	touch(buf, BIG_LEN);
	fill(want, BIG_LEN, SEED + 2);
	tx1 = spawn_send(self->fd, want, BIG_LEN, 0);
	ASSERT_LE(0, tx1);
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	tx2 = spawn_send(self->fd, want, BIG_LEN, 0);
	ASSERT_LE(0, tx2);
	ASSERT_EQ(0, wait_blocked(self->fd, 2, -1));
	ASSERT_EQ(0, pipe2(rep, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0) {
		struct pager f = { .report = rep[1], .hold = hold[0],
				   .hold_ms = 20000 };

		f.src = calloc(1, BIG_LEN);
		if (!f.src || start_pager(&f, BIG_LEN))
			_exit(200);
		n = nonblock ? msg_recv(self->fd, f.area, BIG_LEN,
					MBX_F_NONBLOCK, NULL) :
			msg_recv_timed(self->fd, f.area, BIG_LEN, 0, 0, NULL);
		if (n < 0)
			_exit(-n);
		_exit(n != BIG_LEN ? 150 :
		      check_fill(f.area, BIG_LEN, SEED + 2) ? 151 : 0);
	}
	/* rx took the first sender, put it back, faults its buffer in. */
	p = (struct pollfd){ .fd = rep[0], .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, 10000));
	ASSERT_EQ(1, read(rep[0], &c, 1));
	/* Another receiver takes the first sender meanwhile. */
	n = msg_recv(self->fd, buf, BIG_LEN, 0, NULL);
	EXPECT_EQ(BIG_LEN, n);
	EXPECT_EQ(0, reap(tx1));
	/* Now let rx's faults through: the second sender is waiting. */
	memset(gs, 'g', sizeof(gs));
	ASSERT_EQ((ssize_t)sizeof(gs), write(hold[1], gs, sizeof(gs)));
	st = reap(rx);
	TH_LOG("%s receive: %d (%s), %d more faults",
	       nonblock ? "non-blocking" : "timed (timeout 0)", st,
	       st && st < 150 ? strerror(st) : "", faults_seen(rep[0]));
	EXPECT_EQ(0, st);
	if (st) {	/* the second sender is still there */
		n = msg_recv(self->fd, buf, BIG_LEN, 0, NULL);
		EXPECT_EQ(BIG_LEN, n);
	}
	EXPECT_EQ(0, reap(tx2));
	close(rep[0]);
	close(rep[1]);
	close(hold[0]);
	close(hold[1]);
	free(want);
	free(buf);
}

TEST_F(uffd, timed_receive_into_fresh_buffer_takes_the_next_sender)
{
	if (self->fd >= 0)
		fresh_buffer_next_sender(_metadata, self, false);
}

TEST_F(uffd, nonblocking_receive_into_fresh_buffer_takes_the_next_sender)
{
	if (self->fd >= 0)
		fresh_buffer_next_sender(_metadata, self, true);
}

/*
 * A message of up to 256 bytes is copied in as its send starts, from
 * memory the handler fills, even for a non-blocking send with no receiver
 * there (its own page faults are the caller's time, as for a buffered
 * send; before, such a send returned EAGAIN without touching its buffer);
 * a receiver then gets what the handler filled.
 */
TEST_F(uffd, small_message_is_paged_in_by_its_send)
{
	const size_t small = 200;
	char buf[256];
	pid_t tx;
	int i;

	if (self->fd < 0)
		return;		/* skipped in the setup */
	for (i = 0; i < 2; i++) {
		struct pager f = { .src = self->want,
				   .report = self->report[1], .hold = -1 };
		unsigned int flags = i ? 0 : MBX_F_NONBLOCK;
		ssize_t n;

		tx = fork();
		ASSERT_LE(0, tx);
		if (tx == 0) {
			int step = start_pager(&f, 4096);

			if (step)
				_exit(200 + step);
			child_exit(msg_send(self->fd, f.area + 100, small,
					    flags));
		}
		if (flags) {
			EXPECT_EQ(EAGAIN, reap(tx));
			EXPECT_EQ(1, faults_seen(self->report[0]));
			continue;
		}
		memset(buf, 0, sizeof(buf));
		n = msg_recv_timed(self->fd, buf, sizeof(buf), 0, 10000 * MS,
				   NULL);
		EXPECT_EQ((ssize_t)small, n) TH_LOG("receive: %s",
						    strerror(-n));
		EXPECT_EQ(0, memcmp(buf, self->want + 100, small));
		EXPECT_EQ(0, reap(tx));
		EXPECT_EQ(1, faults_seen(self->report[0]));
	}
}

TEST_HARNESS_MAIN
