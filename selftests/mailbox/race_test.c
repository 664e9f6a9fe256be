// SPDX-License-Identifier: GPL-2.0
/*
 * Races around a zero-capacity rendezvous: either side killed (SIGKILL,
 * so the process exits inside the ioctl) while the other waits, claims or
 * copies.  Whatever the timing, nothing hangs, the survivor gets a clean
 * result, and the message is received whole exactly once or, if its
 * sender died before handing it over, not at all.
 *
 * The messages are large (8 MiB) so that the receiver's copy out of the
 * sender's pinned pages takes a while, and each race is run several times
 * with the kill moved later by a few milliseconds each time: some kills
 * land before the hand-off, some during the copy, some after.  The rounds
 * alternate a receive buffer that is resident (the copy runs through,
 * its sender claimed all along) and one that is fresh memory (the copy
 * stops at each stretch not yet faulted in, and the receiver lets its
 * sender go while it faults the stretch in): a kill then finds the
 * sender waiting again, and the hand-over is abandoned.  The order of
 * the steps that matter (blocked, claimed) is observed through the
 * mailbox's status, never assumed after a sleep.
 *
 * Also the helper the test VM uses for "rmmod while a handle is open":
 * `race_test --hold-handle` (see main()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define RW		(MBX_O_SEND | MBX_O_RECV)
#define BIG		(8U * 1024 * 1024)
#define SEED_A		1
#define SEED_B		2
#define GOT(seed)	(200 + (seed))	/* a receiver's exit: got @seed */
#define KILLED		(1000 + SIGKILL)
#define ROUNDS		8
#define STEP_US		3000

FIXTURE(race) {
	int dev;
	int box;
	int ready[2];	/* children say "about to send/receive" here */
};

FIXTURE_SETUP(race)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_ZERO, .max_msg_size = BIG, .mode = 0600,
	};

	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	self->box = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE, &attr,
				 NULL);
	ASSERT_LE(0, self->box);
	ASSERT_EQ(0, pipe(self->ready));
}

FIXTURE_TEARDOWN(race)
{
	msg_box_destroy(self->box);
	close(self->box);
	close(self->dev);
	close(self->ready[0]);
	close(self->ready[1]);
}

/*
 * A child that sends BIG bytes of pattern @seed, blocking.  It says so on
 * @ready just before the call, writes the receiver's pid to @report (if
 * not -1) when the send succeeds, and exits 0 or with the errno.
 */
static pid_t spawn_big_sender(int box, unsigned int seed, int ready,
			      int report)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *buf = malloc(BIG);
		int ret;

		if (!buf)
			_exit(ENOMEM);
		fill(buf, BIG, seed);
		if (write(ready, "s", 1) != 1)
			_exit(99);
		ret = msg_send(box, buf, BIG, 0);
		if (ret >= 0 && report >= 0 &&
		    write(report, &ret, sizeof(ret)) != sizeof(ret))
			_exit(98);
		child_exit(ret);
	}
	return pid;
}

/*
 * A child that receives one message and exits with GOT(seed) for a whole
 * BIG message of pattern SEED_A or SEED_B, 1 for anything else received,
 * or the errno.  Its buffer is @resident, or fresh memory: then the copy
 * stops at every stretch of it not yet faulted in, and the receiver lets
 * its claimed sender go while it faults the next one in (mbx_copy.c).
 */
static pid_t spawn_big_receiver(int box, int ready, bool resident)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *buf = malloc(BIG);
		ssize_t n;

		if (!buf)
			_exit(ENOMEM);
		if (resident)
			touch(buf, BIG);
		if (write(ready, "r", 1) != 1)
			_exit(99);
		n = msg_recv(box, buf, BIG, 0, NULL);
		if (n < 0)
			child_exit(n);
		if (n != BIG)
			_exit(1);
		if (!check_fill(buf, BIG, SEED_A))
			_exit(GOT(SEED_A));
		if (!check_fill(buf, BIG, SEED_B))
			_exit(GOT(SEED_B));
		_exit(1);
	}
	return pid;
}

static int await(int ready)
{
	char c;

	return read(ready, &c, 1) == 1 ? 0 : -1;
}

/* Nobody blocked, nothing to receive: no message left over, or doubled. */
static int quiet(int box)
{
	char c;

	if (wait_blocked(box, 0, 0))
		return -1;
	return msg_recv(box, &c, 1, MBX_F_NONBLOCK | MBX_F_TRUNC, NULL) ==
	       -EAGAIN ? 0 : -1;
}

/*
 * A blocked sender is killed before any receiver came: it leaves the
 * list (no stale waiter on its dead stack), nothing is delivered, and the
 * next sender's message is the one received.
 */
TEST_F_TIMEOUT(race, sender_killed_while_blocked, 60)
{
	pid_t tx, rx;

	tx = spawn_big_sender(self->box, SEED_A, self->ready[1], -1);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, await(self->ready[0]));
	ASSERT_EQ(0, wait_blocked(self->box, 1, 0));
	kill(tx, SIGKILL);
	EXPECT_EQ(KILLED, reap(tx));
	EXPECT_EQ(0, quiet(self->box)) TH_LOG("the dead sender is still there");

	tx = spawn_big_sender(self->box, SEED_B, self->ready[1], -1);
	ASSERT_LE(0, tx);
	rx = spawn_big_receiver(self->box, self->ready[1], true);
	ASSERT_LE(0, rx);
	EXPECT_EQ(GOT(SEED_B), reap(rx));
	EXPECT_EQ(0, reap(tx));
	EXPECT_EQ(0, quiet(self->box));
}

/*
 * The receiver waits first; the sender comes and the two are matched at
 * once (one copies the message into the other's buffer), and the sender
 * is killed during the copy or just after.  Either the message was
 * delivered (the receiver gets it whole) or the hand-over was abandoned
 * before the receiver saw anything (it is still waiting, and gets the
 * next sender's message instead); never a part, never both.
 */
TEST_F_TIMEOUT(race, sender_killed_during_copy, 180)
{
	int round, rs, ts, ts2;
	pid_t tx, tx2, rx;

	for (round = 0; round < ROUNDS; round++) {
		rx = spawn_big_receiver(self->box, self->ready[1],
					 round % 2);
		ASSERT_LE(0, rx);
		ASSERT_EQ(0, await(self->ready[0]));
		ASSERT_EQ(0, wait_blocked(self->box, 0, 1));
		tx = spawn_big_sender(self->box, SEED_A, self->ready[1], -1);
		ASSERT_LE(0, tx);
		ASSERT_EQ(0, await(self->ready[0]));
		/* Spread the kill over the hand-over, round by round. */
		usleep(round * STEP_US);
		kill(tx, SIGKILL);
		ts = reap(tx);
		EXPECT_TRUE(ts == 0 || ts == KILLED) TH_LOG("sender: %d", ts);
		/* A second sender, for a receiver still waiting. */
		tx2 = spawn_big_sender(self->box, SEED_B, self->ready[1], -1);
		ASSERT_LE(0, tx2);
		ASSERT_EQ(0, await(self->ready[0]));
		rs = reap(rx);
		if (rs == GOT(SEED_A)) {
			/* The second one is left waiting: it never sent. */
			EXPECT_EQ(0, wait_blocked(self->box, 1, 0));
			kill(tx2, SIGKILL);
			ts2 = reap(tx2);
			EXPECT_EQ(KILLED, ts2);
		} else {
			EXPECT_EQ(GOT(SEED_B), rs) TH_LOG("round %d", round);
			EXPECT_EQ(KILLED, ts) TH_LOG("A lost, yet sent");
			ts2 = reap(tx2);
			EXPECT_EQ(0, ts2);
		}
		TH_LOG("round %d, %s buffer: sender %d, receiver %d", round,
		       round % 2 ? "resident" : "fresh", ts, rs);
		EXPECT_EQ(0, quiet(self->box)) TH_LOG("round %d", round);
	}
}

/*
 * The sender waits first; a receiver comes while the sender is killed.
 * Either the receiver claimed it first (and gets it whole) or the sender
 * left first (and the receiver gets the next sender's message instead).
 */
TEST_F_TIMEOUT(race, sender_killed_as_receiver_arrives, 180)
{
	int round, rs, ts, ts2;
	pid_t tx, tx2, rx;

	for (round = 0; round < ROUNDS; round++) {
		tx = spawn_big_sender(self->box, SEED_A, self->ready[1], -1);
		ASSERT_LE(0, tx);
		ASSERT_EQ(0, await(self->ready[0]));
		ASSERT_EQ(0, wait_blocked(self->box, 1, 0));
		rx = spawn_big_receiver(self->box, self->ready[1],
					 round % 2);
		ASSERT_LE(0, rx);
		ASSERT_EQ(0, await(self->ready[0]));
		usleep(round * STEP_US / 4);
		kill(tx, SIGKILL);
		ts = reap(tx);
		EXPECT_TRUE(ts == 0 || ts == KILLED) TH_LOG("sender: %d", ts);
		/* A second sender, for a receiver still waiting. */
		tx2 = spawn_big_sender(self->box, SEED_B, self->ready[1], -1);
		ASSERT_LE(0, tx2);
		ASSERT_EQ(0, await(self->ready[0]));
		rs = reap(rx);
		if (rs == GOT(SEED_A)) {
			/* The second one is left waiting: it never sent. */
			EXPECT_EQ(0, wait_blocked(self->box, 1, 0));
			kill(tx2, SIGKILL);
			ts2 = reap(tx2);
			EXPECT_EQ(KILLED, ts2);
		} else {
			EXPECT_EQ(GOT(SEED_B), rs) TH_LOG("round %d", round);
			EXPECT_EQ(KILLED, ts) TH_LOG("A lost, yet sent");
			ts2 = reap(tx2);
			EXPECT_EQ(0, ts2);
		}
		TH_LOG("round %d, %s buffer: sender %d, receiver %d", round,
		       round % 2 ? "resident" : "fresh", ts, rs);
		EXPECT_EQ(0, quiet(self->box)) TH_LOG("round %d", round);
	}
}

/*
 * The sender waits; a receiver comes and is killed while it claims or
 * copies.  The sender survives: either that receiver finished the copy
 * (the sender says who received), or the sender is back in line with
 * its message, which the next receiver gets whole.
 */
TEST_F_TIMEOUT(race, receiver_killed_while_sender_blocked, 180)
{
	int round, rs, rs2, ts, rep[2];
	pid_t tx, rx, rx2, who;

	ASSERT_EQ(0, pipe(rep));
	for (round = 0; round < ROUNDS; round++) {
		tx = spawn_big_sender(self->box, SEED_A, self->ready[1], rep[1]);
		ASSERT_LE(0, tx);
		ASSERT_EQ(0, await(self->ready[0]));
		ASSERT_EQ(0, wait_blocked(self->box, 1, 0));
		rx = spawn_big_receiver(self->box, self->ready[1],
					 round % 2);
		ASSERT_LE(0, rx);
		ASSERT_EQ(0, await(self->ready[0]));
		usleep(round * STEP_US);
		kill(rx, SIGKILL);
		rs = reap(rx);
		EXPECT_TRUE(rs == KILLED || rs == GOT(SEED_A)) TH_LOG("%d", rs);
		/* The next receiver, for a sender still waiting. */
		rx2 = spawn_big_receiver(self->box, self->ready[1], true);
		ASSERT_LE(0, rx2);
		ASSERT_EQ(0, await(self->ready[0]));
		ts = reap(tx);
		EXPECT_EQ(0, ts) TH_LOG("the surviving sender failed");
		who = 0;
		if (!ts)
			ASSERT_EQ((ssize_t)sizeof(who),
				  read(rep[0], &who, sizeof(who)));
		if (who == rx2) {
			EXPECT_EQ(GOT(SEED_A), reap(rx2)) TH_LOG("round %d", round);
		} else {
			/* The killed receiver took it; rx2 waits in vain. */
			EXPECT_EQ(rx, who) TH_LOG("received by %d", who);
			EXPECT_EQ(0, wait_blocked(self->box, 0, 1));
			kill(rx2, SIGKILL);
			rs2 = reap(rx2);
			EXPECT_EQ(KILLED, rs2);
		}
		TH_LOG("round %d, %s buffer: receiver %d, received by %s",
		       round, round % 2 ? "resident" : "fresh", rs,
		       who == rx2 ? "the next" : "it");
		EXPECT_EQ(0, quiet(self->box)) TH_LOG("round %d", round);
	}
	close(rep[0]);
	close(rep[1]);
}

/*
 * A receiver killed while it waits leaves no phantom behind: a
 * non-blocking send finds nobody, and nothing is delivered to the dead.
 */
TEST_F_TIMEOUT(race, receiver_killed_while_waiting, 60)
{
	pid_t rx;

	rx = spawn_big_receiver(self->box, self->ready[1], true);
	ASSERT_LE(0, rx);
	ASSERT_EQ(0, await(self->ready[0]));
	ASSERT_EQ(0, wait_blocked(self->box, 0, 1));
	kill(rx, SIGKILL);
	EXPECT_EQ(KILLED, reap(rx));
	EXPECT_EQ(0, wait_blocked(self->box, 0, 0));
	EXPECT_EQ(-EAGAIN, msg_send(self->box, "x", 1, MBX_F_NONBLOCK));
	EXPECT_EQ(0, quiet(self->box));
}

#define PUT_BACK_TRIALS	20

struct failing_sender {
	int box;
	volatile bool stop;
};

#define QUOTA_PARAM	"/sys/module/mbx/parameters/user_bytes_max"

/* Send BIG bytes whose last page is unreadable, again and again. */
static void *send_failing(void *arg)
{
	struct failing_sender *a = arg;
	char *buf;

	buf = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return NULL;
	memset(buf, 'a', BIG);
	mprotect(buf + BIG - 4096, 4096, PROT_NONE);
	while (!a->stop)
		msg_send(a->box, buf, BIG, MBX_F_NONBLOCK);
	munmap(buf, BIG);
	return NULL;
}

/*
 * receive(Q) on a full bounded mailbox, claimed for a single copy by a
 * large send of Q's that then fails (its buffer's tail is unreadable),
 * while another thread of Q sends a small message and blocks for the
 * room that only this receiver would make: put back, the receiver takes
 * that message from Q at once.  (It used to look only at the queue and
 * wait on, and both waited until a timeout.)  A race: each round moves
 * the small send by a random few milliseconds.  The user's quota is made
 * smaller than the large message, so that its send, having failed to copy
 * it straight to the receiver, fails at once (ENOBUFS) instead of trying
 * the ordinary way, and the receiver is claimed most of the time.
 */
TEST_F_TIMEOUT(race, receive_from_put_back_takes_a_blocked_message, 180)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 1, .max_msg_size = BIG,
		.mode = 0600,
	};
	char quota[32];
	int box, got = 0;
	char *buf;
	pid_t q;

	ASSERT_EQ(0, read_str(QUOTA_PARAM, quota, sizeof(quota)))
		TH_LOG("%s: the module always has it", QUOTA_PARAM);
	box = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE, &attr,
			   NULL);
	ASSERT_LE(0, box);
	ASSERT_EQ(0, msg_send(box, "P", 1, 0));	/* full, not Q's */
	buf = malloc(BIG);
	ASSERT_NE(NULL, buf);
	touch(buf, BIG);	/* resident: a large send claims us */
	ASSERT_EQ(0, write_str(QUOTA_PARAM, "1048576"));

	q = fork();
	ASSERT_LE(0, q);
	if (q == 0) {
		struct failing_sender a = { .box = box };
		pthread_t t;
		int i, ret = 0;

		srand(getpid());
		if (pthread_create(&t, NULL, send_failing, &a))
			_exit(100);
		for (i = 0; i < PUT_BACK_TRIALS && !ret; i++) {
			usleep(rand() % 20000);
			ret = msg_send_timed(box, "q", 1, 0, 3000 * MS);
		}
		a.stop = true;
		pthread_join(t, NULL);
		child_exit(ret);
	}

	while (got < PUT_BACK_TRIALS) {
		ssize_t n = msg_recv_from_timed(box, q, buf, BIG, 0, 5000 * MS,
						NULL);

		if (n != 1 || buf[0] != 'q')
			break;
		got++;
	}
	EXPECT_EQ(PUT_BACK_TRIALS, got);
	EXPECT_EQ(0, reap(q)) TH_LOG("Q's small send failed (ETIMEDOUT=%d)",
				     ETIMEDOUT);
	EXPECT_EQ(0, write_str(QUOTA_PARAM, quota));
	free(buf);
	msg_box_destroy(box);
	close(box);
}

/*
 * Not a test: the test VM's helper for "rmmod while a handle is open"
 * (selftests/vm/init).  Opens a mailbox handle with a message queued,
 * closes /dev/mailbox so that only the handle pins the module, prints
 * "held" and waits to be killed, which closes the handle.
 */
static int hold_handle(void)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_UNBOUNDED, .mode = 0600,
	};
	int dev, fd;

	dev = msg_dev_open(0);
	if (dev < 0)
		return 1;
	fd = msg_box_open(dev, NULL, 0, RW | MBX_O_PRIVATE, &attr, NULL);
	if (fd < 0 || msg_send(fd, "held", 4, 0))
		return 1;
	close(dev);
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}

/* TEST_HARNESS_MAIN, with the helper in front. */
static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--hold-handle"))
		return hold_handle();
	return test_harness_run(argc, argv);
}
