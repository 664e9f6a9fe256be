// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded stress test with accounting.
 *
 * Producers send checksummed, numbered messages over mailboxes of every
 * capacity mode and directly to the consumers' inboxes, in every blocking
 * mode, while consumers receive (blocking, non-blocking, timed, after
 * poll), a signal storm interrupts both sides and some producers are
 * killed at random.  Every message carries (producer, channel, seq,
 * length, checksum).  Producers record what they attempt and what
 * succeeded in shared memory before and after each send; consumers record
 * every message they take.  At the end the parent stops everyone, drains
 * what is left, and verifies:
 *
 *   - nothing corrupted (checksum, header);
 *   - nothing duplicated (each (producer, channel, seq) at most once);
 *   - per-sender order kept on each channel, as each receiver saw it;
 *   - nothing lost: every send that returned success was received, and
 *     only a send interrupted by SIGKILL may have gone either way.
 *
 *   stress_test [-s SEED] [-t SECONDS] [-p PRODUCERS] [-c CONSUMERS]
 *
 * Output is TAP, one line per property.  The seed is printed, so a
 * failure is reproducible (scheduling aside).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mbx_util.h"

#define MAX_PROD	32
#define MAX_CONS	32
#define BOXES		6	/* 2 zero, 2 bounded, 2 unbounded */
#define CHANNELS	(BOXES + MAX_CONS)	/* mailboxes, then inboxes */
#define MAX_SEQ		4096
#define MAX_PAYLOAD	2048
#define MAGIC		0x6d627821u

struct msg {
	uint32_t magic;
	uint16_t producer;
	uint16_t channel;
	uint32_t seq;
	uint32_t len;
	uint32_t sum;
	uint8_t payload[MAX_PAYLOAD];
};

struct shared {
	pid_t consumer_pid[MAX_CONS];
	volatile int stop_producers;	/* first the producers stop, */
	volatile int stop;		/* then the consumers drain and stop */
	/* Per producer and channel: sends begun, and sends that succeeded. */
	uint32_t attempted[MAX_PROD][CHANNELS];
	uint32_t sent[MAX_PROD][CHANNELS];
	/* Times each message was received. */
	uint8_t got[MAX_PROD][CHANNELS][MAX_SEQ];
	uint8_t killed[MAX_PROD];	/* set by the parent before SIGKILL */
	uint32_t corrupt, misordered, received, interrupted;
};

static struct shared *sh;
static int boxes[BOXES];
static int nprod = 16, ncons = 16;

static uint32_t rnd(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

static uint32_t checksum(const struct msg *m)
{
	uint32_t h = 2166136261u ^ m->producer ^ (m->channel << 16) ^ m->seq;
	uint32_t i;

	for (i = 0; i < m->len; i++)
		h = (h ^ m->payload[i]) * 16777619u;
	return h;
}

static void on_signal(int sig)
{
	(void)sig;
}

static void producer(int id, uint64_t seed)
{
	uint64_t st = seed ^ (0x9e3779b97f4a7c15ULL * (id + 1));
	int dev = msg_dev_open(0);
	struct msg m;
	uint32_t ch, r;
	size_t len;
	int ret;

	if (dev < 0)
		_exit(1);
	while (!sh->stop_producers) {
		r = rnd(&st);
		ch = r % 4 ? r % BOXES : BOXES + (r >> 8) % ncons;
		if (sh->attempted[id][ch] >= MAX_SEQ)
			continue;
		m.magic = MAGIC;
		m.producer = id;
		m.channel = ch;
		m.seq = sh->sent[id][ch];
		m.len = rnd(&st) % MAX_PAYLOAD;
		for (r = 0; r < m.len; r++)
			m.payload[r] = rnd(&st);
		m.sum = checksum(&m);
		/* Recorded before: a SIGKILL mid-send leaves this trace. */
		__atomic_store_n(&sh->attempted[id][ch], m.seq + 1,
				 __ATOMIC_SEQ_CST);
		switch (rnd(&st) % 4) {
		case 0:
			r = MBX_F_NONBLOCK;
			break;
		case 1:
			r = MBX_F_SYNC;
			break;
		default:
			r = 0;
		}
		/* Every wait is bounded, so producers always see the stop. */
		len = offsetof(struct msg, payload) + m.len;
		if (ch < BOXES && r == MBX_F_NONBLOCK)
			ret = msg_send(boxes[ch], &m, len, r);
		else if (ch < BOXES)
			ret = msg_send_timed(boxes[ch], &m, len, r, 20 * MS);
		else if (r == MBX_F_NONBLOCK)
			ret = msg_send_to(dev, sh->consumer_pid[ch - BOXES],
					  &m, len, r);
		else
			ret = msg_send_to_timed(dev, sh->consumer_pid[ch - BOXES],
						&m, len, r, 20 * MS);
		if (ret >= 0)
			__atomic_store_n(&sh->sent[id][ch], m.seq + 1,
					 __ATOMIC_SEQ_CST);
		else if (ret == -EINTR)
			__atomic_fetch_add(&sh->interrupted, 1, __ATOMIC_RELAXED);
		else if (ret != -EAGAIN && ret != -ETIMEDOUT && ret != -ENOBUFS)
			_exit(10 + -ret);
	}
	_exit(0);
}

/* Check and record one received message; per-receiver order in @last. */
static void account(const struct msg *m, ssize_t n, uint32_t last[][CHANNELS])
{
	if (n < (ssize_t)offsetof(struct msg, payload) || m->magic != MAGIC ||
	    m->producer >= nprod || m->channel >= CHANNELS ||
	    m->seq >= MAX_SEQ || n != (ssize_t)(offsetof(struct msg, payload) + m->len) ||
	    m->sum != checksum(m)) {
		__atomic_fetch_add(&sh->corrupt, 1, __ATOMIC_RELAXED);
		return;
	}
	if (last && last[m->producer][m->channel] > m->seq + 1)
		__atomic_fetch_add(&sh->misordered, 1, __ATOMIC_RELAXED);
	if (last)
		last[m->producer][m->channel] = m->seq + 1;
	__atomic_fetch_add(&sh->got[m->producer][m->channel][m->seq], 1,
			   __ATOMIC_RELAXED);
	__atomic_fetch_add(&sh->received, 1, __ATOMIC_RELAXED);
}

static void consumer(int id, int dev, uint64_t seed)
{
	static uint32_t last[MAX_PROD][CHANNELS];
	uint64_t st = seed ^ (0xc2b2ae3d27d4eb4fULL * (id + 1));
	struct msg m;
	struct pollfd pfd[2];
	uint32_t r;
	ssize_t n;
	int fd;

	while (!sh->stop) {
		r = rnd(&st);
		fd = r % 3 ? boxes[r % BOXES] : dev;
		switch ((r >> 8) % 4) {
		case 0:
			n = msg_recv(fd, &m, sizeof(m), MBX_F_NONBLOCK, NULL);
			break;
		case 1:
			pfd[0].fd = fd;
			pfd[0].events = POLLIN;
			pfd[1].fd = dev;
			pfd[1].events = POLLIN;
			if (poll(pfd, 2, 20) <= 0)
				continue;
			fd = pfd[0].revents ? fd : dev;
			n = msg_recv(fd, &m, sizeof(m), MBX_F_NONBLOCK, NULL);
			break;
		default:
			n = msg_recv_timed(fd, &m, sizeof(m), 0, 20 * MS, NULL);
		}
		if (n >= 0)
			account(&m, n, last);
		else if (n == -EINTR)
			__atomic_fetch_add(&sh->interrupted, 1, __ATOMIC_RELAXED);
		else if (n != -EAGAIN && n != -ETIMEDOUT)
			_exit(10 + -n);
	}
	/* Drain our inbox: nobody else may. */
	while ((n = msg_recv(dev, &m, sizeof(m), MBX_F_NONBLOCK, NULL)) >= 0)
		account(&m, n, last);
	_exit(0);
}

int main(int argc, char **argv)
{
	const unsigned int caps[BOXES] = {
		MBX_CAP_ZERO, MBX_CAP_ZERO, MBX_CAP_BOUNDED, MBX_CAP_BOUNDED,
		MBX_CAP_UNBOUNDED, MBX_CAP_UNBOUNDED,
	};
	pid_t prod[MAX_PROD], cons[MAX_CONS];
	uint64_t seed = (uint64_t)time(NULL);
	uint64_t st, sent = 0, lost = 0, dup = 0, maybe = 0, killed = 0;
	uint64_t phantom = 0;
	int seconds = 10, ready[2], dev, i, j, k, status, bad_exit = 0;
	long long end;
	struct sigaction sa;
	struct msg m;
	ssize_t n;
	char c;

	while ((i = getopt(argc, argv, "s:t:p:c:")) != -1) {
		switch (i) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': seconds = atoi(optarg); break;
		case 'p': nprod = atoi(optarg); break;
		case 'c': ncons = atoi(optarg); break;
		default: return 2;
		}
	}
	if (nprod < 1 || nprod > MAX_PROD || ncons < 1 || ncons > MAX_CONS)
		return 2;
	printf("TAP version 13\n1..5\n");
	printf("# seed %llu, %d producers, %d consumers, %d s\n",
	       (unsigned long long)seed, nprod, ncons, seconds);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits end in EINTR */
	sigaction(SIGUSR1, &sa, NULL);

	dev = msg_dev_open(0);
	for (i = 0; i < BOXES; i++) {
		struct msg_box_attr attr = {
			.capacity = caps[i],
			.limit = caps[i] == MBX_CAP_BOUNDED ? 4 : 0,
			.max_msg_size = sizeof(struct msg),
			.mode = 0600,
		};

		boxes[i] = msg_box_open(dev, NULL, 0, MBX_O_PRIVATE |
					MBX_O_SEND | MBX_O_RECV, &attr, NULL);
		if (boxes[i] < 0)
			return 1;
	}
	/* Consumers first: producers address their inboxes by pid. */
	for (i = 0; i < ncons; i++) {
		if (pipe(ready))
			return 1;
		cons[i] = fork();
		if (cons[i] == 0) {
			int me = msg_dev_open(0);
			struct mbx_inbox_config cfg = {
				.flags = MBX_INBOX_SET_CAPACITY |
					 MBX_INBOX_SET_MSGSIZE,
				.capacity = i % 3,
				.limit = i % 3 == MBX_CAP_BOUNDED ? 4 : 0,
				.max_msg_size = sizeof(struct msg),
			};

			if (me < 0 || msg_inbox_set(me, &cfg) ||
			    write(ready[1], "r", 1) != 1)
				_exit(1);
			consumer(i, me, seed);
		}
		sh->consumer_pid[i] = cons[i];
		if (read(ready[0], &c, 1) != 1)
			return 1;
		close(ready[0]);
		close(ready[1]);
	}
	for (i = 0; i < nprod; i++) {
		prod[i] = fork();
		if (prod[i] == 0)
			producer(i, seed);
	}

	/* Signal storms, and now and then a producer killed mid-flight. */
	st = seed;
	end = now_ns() + seconds * 1000LL * MS;
	while (now_ns() < end) {
		usleep(2000);
		k = rnd(&st) % (nprod + ncons);
		kill(k < nprod ? prod[k] : cons[k - nprod], SIGUSR1);
		/* Kill at most half of them: the rest keep the load up. */
		if (rnd(&st) % 100 == 0 && killed < (uint64_t)nprod / 2) {
			k = rnd(&st) % nprod;
			if (prod[k] < 0)
				continue;
			sh->killed[k] = 1;
			if (kill(prod[k], SIGKILL) == 0) {
				waitpid(prod[k], &status, 0);
				killed++;
				prod[k] = -1;
			}
		}
	}
	/* Producers first, so that no send lands after a consumer drained. */
	sh->stop_producers = 1;
	for (i = 0; i < nprod; i++) {
		if (prod[i] < 0)
			continue;
		waitpid(prod[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("# producer %d: status %#x\n", i, status);
			bad_exit++;
		}
	}
	sh->stop = 1;
	for (i = 0; i < ncons; i++) {
		waitpid(cons[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("# consumer %d: status %#x\n", i, status);
			bad_exit++;
		}
	}
	/* What is still queued in the mailboxes is received here. */
	for (i = 0; i < BOXES; i++)
		while ((n = msg_recv(boxes[i], &m, sizeof(m), MBX_F_NONBLOCK,
				     NULL)) >= 0)
			account(&m, n, NULL);

	for (i = 0; i < nprod; i++)
		for (j = 0; j < CHANNELS; j++) {
			sent += sh->sent[i][j];
			for (k = 0; k < MAX_SEQ; k++) {
				uint8_t g = sh->got[i][j][k];

				if (g > 1)
					dup++;
				/* A send that returned success: received. */
				if (k < (int)sh->sent[i][j] && !g)
					lost++;
				if (k < (int)sh->sent[i][j] || !g)
					continue;
				/*
				 * Received but not recorded as sent: only a
				 * send cut short by SIGKILL may have gone
				 * through; a send that failed sent nothing.
				 */
				if (sh->killed[i] && k < (int)sh->attempted[i][j])
					maybe++;
				else
					phantom++;
			}
		}
	printf("# %llu sent, %u received, %u interrupted calls, %llu producers killed, %llu sends cut by SIGKILL and delivered\n",
	       (unsigned long long)sent, sh->received, sh->interrupted,
	       (unsigned long long)killed, (unsigned long long)maybe);
	printf("%sok 1 every task exited cleanly (%d did not)\n",
	       bad_exit ? "not " : "", bad_exit);
	printf("%sok 2 nothing corrupted, nothing from a failed send (%u, %llu)\n",
	       sh->corrupt || phantom ? "not " : "", sh->corrupt,
	       (unsigned long long)phantom);
	printf("%sok 3 nothing duplicated (%llu)\n", dup ? "not " : "",
	       (unsigned long long)dup);
	printf("%sok 4 per-sender order kept on every channel (%u)\n",
	       sh->misordered ? "not " : "", sh->misordered);
	printf("%sok 5 nothing lost: every successful send received (%llu missing)\n",
	       lost ? "not " : "", (unsigned long long)lost);
	for (i = 0; i < BOXES; i++)
		msg_box_destroy(boxes[i]);
	return bad_exit || sh->corrupt || phantom || dup || sh->misordered ||
	       lost;
}
