// SPDX-License-Identifier: GPL-2.0
/*
 * W3: fan-in and fan-out on one bounded mailbox.  P producers send 64-byte
 * messages as fast as they can; C consumers receive until the batch's
 * total has arrived, the one that takes the last message notes the time,
 * and the parent then destroys the mailbox, which ends every producer and
 * consumer (EIDRM).  Per batch: messages/s, fairness between producers
 * (Jain's index of how many messages of each were received: 1 is
 * perfectly fair, 1/P is one producer starving the others), and context
 * switches per message from getrusage(RUSAGE_CHILDREN).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libmsg.h"
#include "run.h"

#define FAN_MAX		16
#define FAN_MSG		64
#define FAN_DEPTH	64

struct fan_shared {
	long target;
	long received;
	int64_t t_end;
	long per_producer[FAN_MAX];
};

struct fan {
	int producers, consumers;
	struct fan_shared *sh;
	double fairness, csw;	/* of the last batch */
};

static void fan_producer(int box, int idx)
{
	char buf[FAN_MSG] = { 0 };

	buf[0] = idx;
	while (msg_send(box, buf, sizeof(buf), 0) >= 0)
		;
	_exit(0);
}

static void fan_consumer(int box, struct fan_shared *sh, int done_fd)
{
	unsigned char buf[FAN_MSG];
	long r;

	while (msg_recv(box, buf, sizeof(buf), 0, NULL) == FAN_MSG) {
		if (buf[0] < FAN_MAX)
			__atomic_fetch_add(&sh->per_producer[buf[0]], 1,
					   __ATOMIC_RELAXED);
		r = __atomic_add_fetch(&sh->received, 1, __ATOMIC_ACQ_REL);
		if (r == sh->target) {
			sh->t_end = now_ns();
			if (write(done_fd, "x", 1) != 1)
				break;
		}
	}
	_exit(0);
}

static long csw_children(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* One batch of @n messages: fork, run, destroy, reap. */
static int64_t fan_batch(long n, void *arg)
{
	struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = FAN_DEPTH,
		.max_msg_size = FAN_MSG, .mode = 0600,
	};
	struct fan *fan = arg;
	struct fan_shared *sh = fan->sh;
	int start[2], done[2], dev, box, i, nproc = 0;
	pid_t pids[2 * FAN_MAX];
	long csw0, sum = 0, sumsq = 0;
	int64_t t0, ret;
	char c;

	memset(sh, 0, sizeof(*sh));
	sh->target = n;
	dev = msg_dev_open(0);
	if (dev < 0)
		return dev;
	box = msg_box_open(dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			   MBX_O_RECV, &attr, NULL);
	close(dev);
	if (box < 0)
		return box;
	if (pipe(start) || pipe(done)) {
		close(box);
		return -errno;
	}
	csw0 = csw_children();
	for (i = 0; i < fan->producers + fan->consumers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			break;
		if (pid == 0) {
			close(start[1]);
			/* Everyone starts at once: when the pipe closes. */
			if (read(start[0], &c, 1) < 0)
				_exit(1);
			if (i < fan->producers)
				fan_producer(box, i);
			fan_consumer(box, sh, done[1]);
		}
		pids[nproc++] = pid;
	}
	close(start[0]);
	t0 = now_ns();
	close(start[1]);
	ret = nproc == fan->producers + fan->consumers &&
	      read(done[0], &c, 1) == 1 ? sh->t_end - t0 : -ECHILD;
	msg_box_destroy(box);
	close(box);
	for (i = 0; i < nproc; i++)
		waitpid(pids[i], NULL, 0);
	close(done[0]);
	close(done[1]);

	fan->csw = (double)(csw_children() - csw0) /
		   (sh->received ? sh->received : 1);
	for (i = 0; i < fan->producers; i++) {
		sum += sh->per_producer[i];
		sumsq += sh->per_producer[i] * sh->per_producer[i];
	}
	fan->fairness = sumsq ? (double)sum * sum /
				((double)fan->producers * sumsq) : 0;
	return ret;
}

/*
 * The shapes' batches are interleaved (batch b of every shape before batch
 * b + 1 of any), so that a slow phase of the host weighs on the 1x1 and
 * 4x4 figures of a ratio alike.
 */
int run_fan(void)
{
	static const int configs[][2] = {
		{ 1, 1 }, { 4, 1 }, { 1, 4 }, { 4, 4 }, { 16, 16 },
	};
	enum { NCONFIGS = sizeof(configs) / sizeof(configs[0]) };
	struct figure f[NCONFIGS][3];
	char variant[NCONFIGS][16];
	struct fan fan[NCONFIGS];
	long n[NCONFIGS];
	int err[NCONFIGS];
	struct fan_shared *sh;
	unsigned int c, b;
	int64_t t;
	int i;

	/* The scheduler places producers and consumers: no pinning. */
	unpin();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	memset(f, 0, sizeof(f));
	for (c = 0; c < NCONFIGS; c++) {
		static const char *const metrics[] = {
			"msgs_per_s", "fairness", "csw_per_msg",
		};

		fan[c].producers = configs[c][0];
		fan[c].consumers = configs[c][1];
		fan[c].sh = sh;
		snprintf(variant[c], sizeof(variant[c]), "%dx%d",
			 fan[c].producers, fan[c].consumers);
		for (i = 0; i < 3; i++) {
			f[c][i].workload = "W3";
			f[c][i].variant = variant[c];
			f[c][i].mech = "mbx_bounded";
			f[c][i].size = FAN_MSG;
			f[c][i].depth = FAN_DEPTH;
			f[c][i].metric = metrics[i];
		}
		n[c] = calibrate(fan_batch, &fan[c], 10 * 1000 * 1000);
		err[c] = n[c] < 0 ? n[c] : 0;
	}
	for (b = 0; b < cfg.batches; b++) {
		for (c = 0; c < NCONFIGS; c++) {
			if (err[c])
				continue;
			t = fan_batch(n[c], &fan[c]);
			if (t <= 0) {
				err[c] = t ? t : -ERANGE;
				continue;
			}
			figure_add(&f[c][0], n[c] * 1e9 / t);
			figure_add(&f[c][1], fan[c].fairness);
			figure_add(&f[c][2], fan[c].csw);
		}
	}
	for (c = 0; c < NCONFIGS; c++)
		for (i = 0; i < 3; i++)
			record(&f[c][i], err[c]);
	munmap(sh, sizeof(*sh));
	return 0;
}
