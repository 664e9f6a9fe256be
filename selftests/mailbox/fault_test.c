// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: each operation is run again and again with its n-th
 * slab allocation made to fail (failslab through /proc/thread-self/
 * fail-nth), n = 1, 2, ... until the operation no longer allocates that
 * many times.  Every run must either succeed or fail with ENOMEM and
 * change nothing: no message lost or added, no mailbox half created.
 * Leaks are caught by the VM's kmemleak scan afterwards.
 *
 * fail-nth counts every fault injection point the thread passes, so
 * when fail_page_alloc is set up to consider sleeping order-0 allocations
 * (send_large_fail_page_alloc) page allocations are swept too: the
 * kmalloc_large() attempt of a kvmalloc() and the vmalloc() fallback
 * page by page.  fail-nth is per thread, and fail_page_alloc's own
 * probability stays 0 with task-filter on, so no other task is hit.
 *
 * Needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (the debug
 * test kernel), and CONFIG_FAIL_PAGE_ALLOC for the page sweep; skips
 * elsewhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"
#define MAX_NTH		200
/* Room for a vmalloc() of 1 MiB, page by page, and its bookkeeping. */
#define LARGE_MAX_NTH	2000
#define LARGE		(1024U * 1024)

/* The 6.1 harness runs the test body after a SKIP in the setup. */
#define NEED_FAILSLAB() do {						\
	if (self->nth < 0)						\
		SKIP(return, "no failslab fault injection in this kernel"); \
} while (0)

/* fail_page_alloc settings a test changes, restored by the teardown. */
static const char *const page_knobs[] = {
	"ignore-gfp-wait", "ignore-gfp-highmem", "min-order", "task-filter",
	"verbose",
};

#define NR_PAGE_KNOBS	ARRAY_SIZE(page_knobs)

FIXTURE(fault) {
	int nth;	/* /proc/thread-self/fail-nth */
	int dev;
	int injected;
	int page_alloc;	/* fail_page_alloc set up: restore saved[] */
	char saved[NR_PAGE_KNOBS][16];
};

FIXTURE_SETUP(fault)
{
	self->dev = -1;
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (self->nth < 0 || access(FAILSLAB "ignore-gfp-wait", W_OK)) {
		if (self->nth >= 0)
			close(self->nth);
		self->nth = -1;
		SKIP(return, "no failslab fault injection in this kernel");
	}
	/* Sleeping (GFP_KERNEL) allocations too, and quietly. */
	ASSERT_EQ(0, write_str(FAILSLAB "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, write_str(FAILSLAB "verbose", "0"));
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
}

static int read_knob(const char *dir, const char *name, char *buf,
		     size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), "%s%s", dir, name);
	return read_str(path, buf, size);
}

static int write_knob(const char *dir, const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s%s", dir, name);
	return write_str(path, val);
}

/*
 * Let fail-nth reach page allocations too: sleeping ones (GFP_KERNEL),
 * highmem-capable ones (user pages) and order 0 (vmalloc() pages).  The
 * probability stays 0, so only fail-nth, which is per thread, fails any;
 * task-filter is on as well, in case someone raises the probability.
 * Returns 0 or -1; the teardown restores what it changed.
 */
static int page_alloc_on(FIXTURE_DATA(fault) *self)
{
	static const char *const val[NR_PAGE_KNOBS] = {
		"N", "N", "0", "Y", "0",
	};
	unsigned int i;

	for (i = 0; i < NR_PAGE_KNOBS; i++)
		if (read_knob(FAIL_PAGE, page_knobs[i], self->saved[i],
			      sizeof(self->saved[i])))
			return -1;
	self->page_alloc = 1;
	for (i = 0; i < NR_PAGE_KNOBS; i++)
		if (write_knob(FAIL_PAGE, page_knobs[i], val[i]))
			return -1;
	return 0;
}

FIXTURE_TEARDOWN(fault)
{
	unsigned int i;

	if (self->nth < 0)
		return;
	for (i = 0; self->page_alloc && i < NR_PAGE_KNOBS; i++)
		write_knob(FAIL_PAGE, page_knobs[i], self->saved[i]);
	write_str(FAILSLAB "ignore-gfp-wait", "Y");
	TH_LOG("%d faults injected", self->injected);
	close(self->dev);
	close(self->nth);
}

/* Make the n-th allocation of this thread fail from now on. */
static void arm(int nth, int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(nth, buf, len, 0) != len)
		abort();
}

/* Was the fault injected?  Disarm in any case. */
static int fired(int nth)
{
	char buf[16] = {};

	if (pread(nth, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	if (pwrite(nth, "0", 1, 0) != 1)
		abort();
	return atoi(buf) == 0;
}

TEST_F(fault, open_device)
{
	int n, fd;

	NEED_FAILSLAB();
	/* With no descriptor of ours open, each open creates our inbox. */
	close(self->dev);
	for (n = 1; n < MAX_NTH; n++) {
		arm(self->nth, n);
		fd = open(MBX_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (!fired(self->nth)) {
			ASSERT_LE(0, fd);
			close(fd);
			break;
		}
		self->injected++;
		if (fd >= 0)
			close(fd);
		else
			EXPECT_EQ(ENOMEM, errno) TH_LOG("allocation %d", n);
	}
	EXPECT_LT(1, n) TH_LOG("opening allocates nothing?");
	self->dev = msg_dev_open(0);
}

TEST_F(fault, create_mailbox)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_BOUNDED,
					   .limit = 4, .mode = 0600 };
	char name[32];
	int n, fd;

	NEED_FAILSLAB();
	snprintf(name, sizeof(name), "/fault-%d", getpid());
	for (n = 1; n < MAX_NTH; n++) {
		arm(self->nth, n);
		fd = msg_box_open(self->dev, name, 77, MBX_O_SEND | MBX_O_RECV |
				  MBX_O_CREAT | MBX_O_EXCL, &attr, NULL);
		if (!fired(self->nth)) {
			ASSERT_LE(0, fd);
			msg_box_destroy(fd);
			close(fd);
			break;
		}
		self->injected++;
		if (fd >= 0) {
			msg_box_destroy(fd);
			close(fd);
			continue;
		}
		EXPECT_EQ(-ENOMEM, fd) TH_LOG("allocation %d", n);
		/* Nothing half made: neither the name nor the key exists. */
		EXPECT_EQ(-ENOENT, msg_box_open(self->dev, name, 0, MBX_O_SEND,
						NULL, NULL));
		EXPECT_EQ(-ENOENT, msg_box_open(self->dev, NULL, 77, MBX_O_SEND,
						NULL, NULL));
	}
	EXPECT_LT(1, n);
}

static void sweep_send(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, unsigned int capacity,
		       int direct)
{
	const struct msg_box_attr attr = { .capacity = capacity,
					   .limit = capacity == MBX_CAP_BOUNDED ?
						    MAX_NTH : 0,
					   .mode = 0600 };
	long long before, after;
	char msg[100], buf[100];
	int n, box, ret;

	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			   MBX_O_RECV, &attr, NULL);
	ASSERT_LE(0, box);
	memset(msg, 'm', sizeof(msg));
	for (n = 1; n < MAX_NTH; n++) {
		before = queued(direct ? self->dev : box);
		arm(self->nth, n);
		ret = direct ? msg_send_to(self->dev, getpid(), msg, sizeof(msg),
					   MBX_F_NONBLOCK) :
			       msg_send(box, msg, sizeof(msg), MBX_F_NONBLOCK);
		if (!fired(self->nth)) {
			ASSERT_EQ(0, ret);
			break;
		}
		self->injected++;
		after = queued(direct ? self->dev : box);
		if (ret == 0) {
			EXPECT_EQ(before + 1, after);
		} else {
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("allocation %d", n);
			EXPECT_EQ(before, after) TH_LOG("a failed send queued");
		}
	}
	/* Every message queued is whole. */
	while ((ret = msg_recv(direct ? self->dev : box, buf, sizeof(buf),
			       MBX_F_NONBLOCK, NULL)) >= 0) {
		ASSERT_EQ((int)sizeof(msg), ret);
		ASSERT_EQ(0, memcmp(buf, msg, sizeof(msg)));
	}
	EXPECT_EQ(-EAGAIN, ret);
	msg_box_destroy(box);
	close(box);
}

TEST_F(fault, send_bounded)
{
	NEED_FAILSLAB();
	sweep_send(_metadata, self, MBX_CAP_BOUNDED, 0);
}

TEST_F(fault, send_unbounded)
{
	NEED_FAILSLAB();
	sweep_send(_metadata, self, MBX_CAP_UNBOUNDED, 0);
}

TEST_F(fault, send_direct)
{
	struct mbx_inbox_config cfg = {
		.flags = MBX_INBOX_SET_CAPACITY,
		.capacity = MBX_CAP_UNBOUNDED,
	};

	NEED_FAILSLAB();
	ASSERT_EQ(0, msg_inbox_set(self->dev, &cfg));
	sweep_send(_metadata, self, MBX_CAP_UNBOUNDED, 1);
}

/* The lowest free descriptor: a failed open must not have used one up. */
static int next_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/*
 * Open an existing mailbox, by name or by id: only the handle is
 * allocated (its struct, its file, maybe a descriptor table), and a
 * failed open leaves no descriptor behind and the mailbox as it was.
 */
static void sweep_open_existing(struct __test_metadata *_metadata,
				FIXTURE_DATA(fault) *self, int by_id)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_BOUNDED,
					   .limit = 4, .mode = 0600 };
	unsigned int id, seq = 7;
	char name[32];
	int n, fd, box, before;

	snprintf(name, sizeof(name), "/fault-open-%d", getpid());
	box = msg_box_open(self->dev, name, 0, MBX_O_SEND | MBX_O_RECV |
			   MBX_O_CREAT | MBX_O_EXCL, &attr, &id);
	ASSERT_LE(0, box);
	ASSERT_EQ(0, msg_send(box, &seq, sizeof(seq), 0));
	for (n = 1; n < MAX_NTH; n++) {
		before = next_fd();
		arm(self->nth, n);
		fd = by_id ? msg_box_open_id(self->dev, id, MBX_O_SEND |
					     MBX_O_RECV) :
			     msg_box_open(self->dev, name, 0, MBX_O_SEND |
					  MBX_O_RECV, NULL, NULL);
		if (!fired(self->nth)) {
			ASSERT_LE(0, fd);
			close(fd);
			break;
		}
		self->injected++;
		if (fd >= 0) {
			close(fd);
			continue;
		}
		EXPECT_EQ(-ENOMEM, fd) TH_LOG("allocation %d", n);
		EXPECT_EQ(before, next_fd()) TH_LOG("a failed open kept an fd");
		/* The mailbox is untouched: same id, its message queued. */
		EXPECT_EQ(1, queued(box)) TH_LOG("allocation %d", n);
	}
	EXPECT_LT(1, n) TH_LOG("opening a handle allocates nothing?");
	TH_LOG("open by %s: %d allocations swept", by_id ? "id" : "name",
	       n - 1);
	/* Still there under its name and id, with its message. */
	fd = msg_box_open_id(self->dev, id, MBX_O_RECV);
	ASSERT_LE(0, fd);
	seq = 0;
	EXPECT_EQ((ssize_t)sizeof(seq),
		  msg_recv(fd, &seq, sizeof(seq), MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(7U, seq);
	close(fd);
	msg_box_destroy(box);
	close(box);
}

TEST_F(fault, open_existing_by_name)
{
	NEED_FAILSLAB();
	sweep_open_existing(_metadata, self, 0);
}

TEST_F(fault, open_existing_by_id)
{
	NEED_FAILSLAB();
	sweep_open_existing(_metadata, self, 1);
}

/*
 * A large message: its header comes from the mbx_msg cache and its
 * payload from kvmalloc(), which tries kmalloc_large() (pages, which
 * failslab never sees) and falls back to vmalloc() (slab for its
 * bookkeeping, the pages in bulk, page tables).  Each send either queues
 * the whole message or fails with ENOMEM and queues nothing; a message
 * that got through is received at once and checked byte for byte.
 * Returns the last n tried; *recoveredp counts the injected failures the
 * send got over (a fallback), *failedp those it reported.
 */
static int sweep_send_large(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fault) *self, size_t len,
			    int max_nth, int *recoveredp, int *failedp)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_UNBOUNDED,
					   .max_msg_size = len,
					   .mode = 0600 };
	int n, box, ret, hit, recovered = 0, failed = 0;
	long long before, after;
	char *msg, *buf;

	msg = malloc(len);
	buf = malloc(len);
	if (!msg || !buf)
		abort();
	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			   MBX_O_RECV, &attr, NULL);
	if (box < 0)
		abort();
	touch(buf, len);
	for (n = 1; n < max_nth; n++) {
		fill(msg, len, n);
		before = queued(box);
		arm(self->nth, n);
		ret = msg_send(box, msg, len, MBX_F_NONBLOCK);
		hit = fired(self->nth);
		self->injected += hit;
		after = queued(box);
		if (ret) {
			failed++;
			EXPECT_TRUE(hit) TH_LOG("send failed with %d", ret);
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("allocation %d", n);
			EXPECT_EQ(before, after) TH_LOG("a failed send queued");
			continue;
		}
		/* Through (maybe after a fallback): whole, and once. */
		EXPECT_EQ(before + 1, after);
		EXPECT_EQ((ssize_t)len, msg_recv(box, buf, len,
						 MBX_F_NONBLOCK, NULL));
		EXPECT_EQ(0, check_fill(buf, len, n)) TH_LOG("message %d", n);
		EXPECT_EQ(0, queued(box));
		if (!hit)
			break;
		recovered++;
	}
	EXPECT_GT(max_nth, n) TH_LOG("the sweep did not finish");
	TH_LOG("%zu KiB send: %d allocations swept, %d failed, %d recovered",
	       len >> 10, n - 1, failed, recovered);
	if (recoveredp)
		*recoveredp = recovered;
	if (failedp)
		*failedp = failed;
	msg_box_destroy(box);
	close(box);
	free(msg);
	free(buf);
	return n;
}

/* 1 MiB, slab only: the header (and kmemleak's bookkeeping). */
TEST_F_TIMEOUT(fault, send_large_failslab, 120)
{
	NEED_FAILSLAB();
	EXPECT_LT(1, sweep_send_large(_metadata, self, LARGE, MAX_NTH, NULL,
				      NULL));
}

/*
 * 1 MiB, pages too: now kmalloc_large()'s pages can fail, and then
 * kvmalloc() falls back to vmalloc() and the send goes through.  fail-nth
 * fails one allocation per call, so with kmalloc_large() succeeding
 * vmalloc() is never reached at this size: that is the next test's job.
 * The sweep is longer than the slab-only one by that one position.
 */
TEST_F_TIMEOUT(fault, send_large_fail_page_alloc, 300)
{
	int slab_only, with_pages, recovered = 0;

	NEED_FAILSLAB();
	if (access(FAIL_PAGE "min-order", W_OK))
		SKIP(return, "no fail_page_alloc in this kernel");
	slab_only = sweep_send_large(_metadata, self, LARGE, MAX_NTH, NULL,
				     NULL);
	ASSERT_EQ(0, page_alloc_on(self));
	with_pages = sweep_send_large(_metadata, self, LARGE, LARGE_MAX_NTH,
				      &recovered, NULL);
	EXPECT_LT(slab_only, with_pages) TH_LOG("no page allocation swept");
	EXPECT_LE(1, recovered) TH_LOG("no fallback to vmalloc() seen");
}

/*
 * 8 MiB is more than kmalloc() can ever give (KMALLOC_MAX_SIZE, 4 MiB on
 * x86-64), so kvmalloc() goes straight to vmalloc() without asking the
 * page allocator for one block: every allocation vmalloc() makes is on
 * the path, and the sweep fails each in turn.  Its 2048 pages come from
 * the bulk allocator at most 100 per call, so there are well over 20
 * positions.  A failed bulk call is made up for page by page (the send
 * goes through); its bookkeeping and page tables cannot be, and the send
 * fails with ENOMEM.
 */
#define HUGE	(8U * 1024 * 1024)

TEST_F_TIMEOUT(fault, send_vmalloc_fail_page_alloc, 600)
{
	struct mbx_info info;
	int n, failed = 0, recovered = 0;

	NEED_FAILSLAB();
	if (access(FAIL_PAGE "min-order", W_OK))
		SKIP(return, "no fail_page_alloc in this kernel");
	ASSERT_EQ(0, msg_info(self->dev, &info));
	if (info.max_msg_size_cap < HUGE)
		SKIP(return, "max_msg_size_cap below 8 MiB");
	ASSERT_EQ(0, page_alloc_on(self));
	n = sweep_send_large(_metadata, self, HUGE, LARGE_MAX_NTH, &recovered,
			     &failed);
	EXPECT_LT(20, n - 1) TH_LOG("vmalloc()'s pages not swept");
	EXPECT_LE(1, failed);
	EXPECT_LE(1, recovered);
}

/*
 * Receive from a buffered mailbox: the message is already in kernel
 * memory and goes to a resident buffer, then it is freed; the path
 * allocates nothing.  So this is not a sweep but a proof of that: the
 * first armed receive must not fire (the sweep ends at n = 1, with the
 * oldest message received).  Should receiving ever allocate, the EXPECT
 * fails and this must become a real sweep, as for zero capacity below.
 */
static void recv_buffered(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fault) *self, unsigned int capacity,
			  size_t len)
{
	const struct msg_box_attr attr = { .capacity = capacity,
					   .limit = capacity == MBX_CAP_BOUNDED ?
						    4 : 0,
					   .max_msg_size = len,
					   .mode = 0600 };
	unsigned int i, next = 0;
	long long before;
	char *msg, *buf;
	int n, box, ret;

	msg = malloc(len);
	buf = malloc(len);
	ASSERT_TRUE(msg && buf);
	touch(buf, len);
	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			   MBX_O_RECV, &attr, NULL);
	ASSERT_LE(0, box);
	for (i = 0; i < 4; i++) {
		fill(msg, len, i);
		ASSERT_EQ(0, msg_send(box, msg, len, 0));
	}
	for (n = 1; n < MAX_NTH; n++) {
		before = queued(box);
		arm(self->nth, n);
		ret = msg_recv(box, buf, len, MBX_F_NONBLOCK, NULL);
		if (!fired(self->nth)) {
			ASSERT_EQ((ssize_t)len, ret);
			EXPECT_EQ(0, check_fill(buf, len, next++));
			break;
		}
		self->injected++;
		if (ret >= 0) {
			EXPECT_EQ(0, check_fill(buf, len, next++));
			EXPECT_EQ(before - 1, queued(box));
		} else {
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("allocation %d", n);
			EXPECT_EQ(before, queued(box)) TH_LOG("a failed receive took");
		}
	}
	EXPECT_EQ(1, n) TH_LOG("a buffered receive allocates: sweep it");
	/* The rest, in order, each once. */
	while ((ret = msg_recv(box, buf, len, MBX_F_NONBLOCK, NULL)) >= 0) {
		ASSERT_EQ((ssize_t)len, ret);
		EXPECT_EQ(0, check_fill(buf, len, next++));
	}
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(4U, next);
	msg_box_destroy(box);
	close(box);
	free(msg);
	free(buf);
}

TEST_F(fault, receive_bounded_allocates_nothing)
{
	NEED_FAILSLAB();
	recv_buffered(_metadata, self, MBX_CAP_BOUNDED, 100);
}

TEST_F(fault, receive_unbounded_allocates_nothing)
{
	NEED_FAILSLAB();
	recv_buffered(_metadata, self, MBX_CAP_UNBOUNDED, 100);
}

TEST_F(fault, receive_large_allocates_nothing)
{
	NEED_FAILSLAB();
	recv_buffered(_metadata, self, MBX_CAP_UNBOUNDED, LARGE);
}

/*
 * An address whose top-level page table entry nothing else uses (512 GiB
 * below the 47-bit limit's last slots, where the stack and the mmap base
 * are): mapping the sender's buffer there needs new page tables.
 */
#define FRESH_ADDR	((void *)0x7e0000000000UL)
#define FRESH_ADDR_RX	((void *)0x7d0000000000UL)
#define ZERO_LEN	(64U << 10)

/*
 * A tmpfs file of ZERO_LEN bytes of pattern 42, mapped read-only at
 * FRESH_ADDR, where no page tables exist yet; with @touch, read once so
 * that it is resident.  NULL on failure.
 */
static char *fresh_message(int touch)
{
	volatile const char *map;
	char *pattern = malloc(ZERO_LEN);
	int mfd = memfd_create("fault-zero", 0);
	size_t i;

	if (mfd < 0 || !pattern)
		return NULL;
	fill(pattern, ZERO_LEN, 42);
	if (write(mfd, pattern, ZERO_LEN) != ZERO_LEN)
		return NULL;
	free(pattern);
	map = mmap(FRESH_ADDR, ZERO_LEN, PROT_READ,
		   MAP_SHARED | MAP_FIXED_NOREPLACE, mfd, 0);
	if (map == MAP_FAILED)
		return NULL;
	for (i = 0; touch && i < ZERO_LEN; i += 4096)
		(void)map[i];
	return (char *)map;
}

/*
 * Zero capacity, the receiver's side: it pins the blocked sender's pages
 * (mbx_copy.c), taking only what is resident, and copies them into its
 * own buffer with page faults disabled.  With the sender's message
 * resident, as here, that allocates nothing: with @resident our buffer
 * is resident too, and the first armed receive must not fire.
 *
 * With @resident 0 our buffer is fresh memory: the copy stops at once,
 * the receiver releases the sender and faults its buffer in, and a
 * failure there is EFAULT, as for any system call that cannot fault in
 * the caller's buffer (read(2) under OOM), or ENOMEM: still clean, the
 * sender keeps its message.  Whether the sweep reaches the fault-in is
 * the allocator's business, so the count of EFAULTs is logged, not
 * required.
 */
static void recv_zero(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fault) *self, int resident)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_ZERO,
					   .max_msg_size = ZERO_LEN,
					   .mode = 0600 };
	struct msg_meta meta;
	int n, box, ret, hit, efault = 0;
	char *buf;
	pid_t tx;

	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			   MBX_O_RECV, &attr, NULL);
	ASSERT_LE(0, box);
	tx = fork();
	ASSERT_LE(0, tx);
	if (tx == 0) {
		char *map = fresh_message(1);

		if (!map)
			_exit(100);
		child_exit(msg_send(box, map, ZERO_LEN, 0));
	}
	if (resident) {
		buf = malloc(ZERO_LEN);
		ASSERT_NE(NULL, buf);
		touch(buf, ZERO_LEN);	/* our side allocates nothing */
	} else {
		buf = mmap(FRESH_ADDR_RX, ZERO_LEN, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
		ASSERT_NE(MAP_FAILED, buf);
	}
	ASSERT_EQ(0, wait_blocked(box, 1, -1));
	for (n = 1; n < MAX_NTH; n++) {
		arm(self->nth, n);
		ret = msg_recv(box, buf, ZERO_LEN, MBX_F_NONBLOCK, &meta);
		hit = fired(self->nth);
		self->injected += hit;
		if (ret >= 0)
			break;
		EXPECT_TRUE(hit) TH_LOG("receive failed with %d", ret);
		if (!resident && ret == -EFAULT)
			efault++;
		else
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("allocation %d", n);
		/* The sender is still blocked, its message not taken. */
		EXPECT_EQ(0, wait_blocked(box, 1, 0)) TH_LOG("allocation %d", n);
		if (ret != -ENOMEM && ret != -EFAULT)
			break;
	}
	if (ret < 0)	/* failed already: don't wait for a blocked sender */
		kill(tx, SIGKILL);
	EXPECT_EQ((ssize_t)ZERO_LEN, ret);
	EXPECT_EQ(0, check_fill(buf, ZERO_LEN, 42));
	EXPECT_EQ(tx, meta.sender_pid);
	EXPECT_EQ(0, reap(tx)) TH_LOG("the sender's send failed");
	/* Received once: nothing more to take, nobody left blocked. */
	EXPECT_EQ(-EAGAIN, msg_recv(box, buf, ZERO_LEN, MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(0, wait_blocked(box, 0, 0));
	if (resident)
		EXPECT_EQ(1, n) TH_LOG("a zero-capacity receive allocates: sweep it");
	TH_LOG("zero-capacity receive: %d allocations swept, %d EFAULT",
	       n - 1, efault);
	msg_box_destroy(box);
	close(box);
	if (resident)
		free(buf);
	else
		munmap(buf, ZERO_LEN);
}

/*
 * Zero capacity, the sender's side, from memory that page pinning cannot
 * take (the vDSO's data page): its receiver cannot pin the message, and
 * the send copies it whole into a buffer of its own (mbx_copy_in_all()).
 * Each run either fails that allocation, and then the send fails with
 * ENOMEM and the receiver, still waiting, gets the next message, or
 * succeeds: one message arrives per run, never none or two.
 */
TEST_F(fault, send_zero_unpinnable)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_ZERO,
					   .mode = 0600 };
	const void *vvar = vvar_page();
	int n, box, ret = 0, hit = 0;
	char good[4096];
	pid_t rx;

	NEED_FAILSLAB();
	if (!vvar)
		SKIP(return, "no [vvar] mapping");
	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			   MBX_O_RECV, &attr, NULL);
	ASSERT_LE(0, box);
	memset(good, 1, sizeof(good));
	for (n = 1; n < MAX_NTH; n++) {
		rx = spawn_recv(box, sizeof(good), 0);
		ASSERT_LE(0, rx);
		ASSERT_EQ(0, wait_blocked(box, -1, 1));
		arm(self->nth, n);
		ret = msg_send(box, vvar, sizeof(good), 0);
		hit = fired(self->nth);
		self->injected += hit;
		if (ret < 0) {
			EXPECT_TRUE(hit) TH_LOG("send failed with %d", ret);
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("allocation %d", n);
			/* The receiver still waits: the next one is its. */
			EXPECT_LT(0, msg_send(box, good, sizeof(good), 0));
		}
		EXPECT_EQ(0, reap(rx)) TH_LOG("allocation %d", n);
		EXPECT_EQ(0, wait_blocked(box, 0, 0));
		if (!hit)
			break;
	}
	EXPECT_LE(0, ret);
	EXPECT_LT(1, n) TH_LOG("the send allocated nothing to fail");
	TH_LOG("unpinnable zero-capacity send: %d allocations swept", n - 1);
	msg_box_destroy(box);
	close(box);
}

TEST_F(fault, receive_zero_allocates_nothing)
{
	NEED_FAILSLAB();
	recv_zero(_metadata, self, 1);
}

/* Our buffer fresh: the release and our own fault-in are taken too. */
TEST_F(fault, receive_zero_fresh_buffer_fail_page_alloc)
{
	NEED_FAILSLAB();
	if (access(FAIL_PAGE "min-order", W_OK))
		SKIP(return, "no fail_page_alloc in this kernel");
	ASSERT_EQ(0, page_alloc_on(self));
	recv_zero(_metadata, self, 0);
}

/* A sender's exit status: how its armed send went (see send_zero()). */
#define SENT		0	/* sent, nothing injected: the sweep ends */
#define SENT_HIT	10	/* an injected failure survived, and sent */
#define NOMEM_HIT	11	/* ENOMEM from an injected failure */

/*
 * Zero capacity, the sender's side: a receiver that finds the blocked
 * sender's message not resident releases it to page the message in
 * itself (mbx_copy_fault_in(), get_user_pages() in the sender's thread)
 * and offer it again.  The message is a tmpfs file mapped at an address
 * with no page tables yet, so that paging in allocates them (and, with
 * lockdep, their split ptlocks from slab); each allocation of the
 * sender's thread is made to fail in turn (fail-nth armed in the child,
 * before its send).  Each run either delivers the message whole, once,
 * or fails the send with ENOMEM and delivers nothing.
 */
static void send_zero(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fault) *self)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_ZERO,
					   .max_msg_size = ZERO_LEN,
					   .mode = 0600 };
	int n, box, status = -1, got, reaped;
	long long deadline;
	char *buf;
	ssize_t r;
	pid_t tx;

	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			   MBX_O_RECV, &attr, NULL);
	ASSERT_LE(0, box);
	buf = malloc(ZERO_LEN);
	ASSERT_NE(NULL, buf);
	touch(buf, ZERO_LEN);
	for (n = 1; n < MAX_NTH; n++) {
		tx = fork();
		ASSERT_LE(0, tx);
		if (tx == 0) {
			int nth = open("/proc/thread-self/fail-nth", O_RDWR);
			char *map = fresh_message(0);
			long ret;

			if (nth < 0 || !map)
				_exit(100);
			arm(nth, n);
			ret = msg_send(box, map, ZERO_LEN, 0);
			if (!fired(nth))
				_exit(ret >= 0 ? SENT : 101);
			_exit(ret >= 0 ? SENT_HIT :
			      ret == -ENOMEM ? NOMEM_HIT : 102);
		}
		ASSERT_EQ(0, wait_blocked(box, 1, -1));
		/* Receive, without waiting on a sender that may fail. */
		got = 0;
		reaped = 0;
		status = -1;
		deadline = now_ns() + 10000 * MS;
		while (now_ns() < deadline) {
			r = msg_recv(box, buf, ZERO_LEN, MBX_F_NONBLOCK, NULL);
			if (r == (ssize_t)ZERO_LEN) {
				got = 1;
				break;
			}
			EXPECT_EQ(-EAGAIN, r);
			reaped = waitpid(tx, &status, WNOHANG) == tx;
			if (r != -EAGAIN || reaped)
				break;
			usleep(1000);
		}
		if (!got && !reaped) {
			TH_LOG("allocation %d: neither sent nor failed", n);
			kill(tx, SIGKILL);
		}
		if (!reaped)
			waitpid(tx, &status, 0);
		status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (status == SENT || status == SENT_HIT) {
			EXPECT_TRUE(got) TH_LOG("allocation %d", n);
			EXPECT_EQ(0, check_fill(buf, ZERO_LEN, 42));
		} else {
			EXPECT_EQ(NOMEM_HIT, status) TH_LOG("allocation %d", n);
			EXPECT_FALSE(got) TH_LOG("a failed send delivered");
		}
		self->injected += status != SENT;
		/* Nothing more to take, nobody left blocked. */
		EXPECT_EQ(-EAGAIN, msg_recv(box, buf, ZERO_LEN,
					    MBX_F_NONBLOCK, NULL));
		EXPECT_EQ(0, wait_blocked(box, 0, 0));
		if (status != SENT_HIT && status != NOMEM_HIT)
			break;
	}
	EXPECT_EQ(SENT, status);
	EXPECT_LT(1, n) TH_LOG("paging the fresh message in allocated nothing?");
	TH_LOG("zero-capacity send: %d allocations swept", n - 1);
	msg_box_destroy(box);
	close(box);
	free(buf);
}

TEST_F(fault, send_zero_fault_in_failslab)
{
	NEED_FAILSLAB();
	send_zero(_metadata, self);
}

TEST_F(fault, send_zero_fault_in_fail_page_alloc)
{
	NEED_FAILSLAB();
	if (access(FAIL_PAGE "min-order", W_OK))
		SKIP(return, "no fail_page_alloc in this kernel");
	ASSERT_EQ(0, page_alloc_on(self));
	send_zero(_metadata, self);
}

TEST_HARNESS_MAIN
