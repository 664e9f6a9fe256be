// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded stress test with accounting.
 *
 * Producer and consumer processes, each with up to three threads (at
 * least 32 tasks with the defaults), run a random mix of operations over
 * nine mailbox slots (three of each capacity mode) and over the
 * consumers' inboxes (direct links, every capacity mode):
 *
 *   - send to a mailbox or to an inbox: non-blocking, timed, untimed
 *     blocking (to a mailbox, also with write(2)), sync, after poll;
 *   - receive from a mailbox or from the inbox: non-blocking, timed,
 *     untimed blocking (also with read(2)), from one sender, after poll,
 *     into read-only memory (EFAULT, nothing taken);
 *   - send to a mailbox and receive from the inbox in one msg_call();
 *   - open a mailbox by name or by id, close handles, close and reopen
 *     /dev/mailbox, stat;
 *   - destroy a mailbox (the next instance of its slot is created, under
 *     a new name), create, use, destroy and close private and named
 *     scratch mailboxes;
 *   - start and end threads, fork a short-lived child that sends or
 *     receives under its parent's identity, fork a successor and exit (a
 *     consumer's successor has a new inbox).
 *
 * Meanwhile the parent interrupts random tasks with SIGUSR1 and kills
 * producers (their whole process group) with SIGKILL, starting a new
 * producer in their place.  Untimed calls end by a message, by a signal
 * (no SA_RESTART) or by the destroy or exit that took their mailbox or
 * inbox away; at the end the parent signals every task until it is gone.
 *
 * Every message carries (sender, channel, epoch, seq, pid, length,
 * checksum); a sender is one task slot, whose numbering survives forks,
 * exits and kills.  An epoch is one instance of a channel: a mailbox
 * slot's instance between creation and destroy, or an inbox between its
 * owner's start and exit.  Senders record each message in shared memory
 * before the call (attempted, and the epoch it goes to) and after (sent
 * or failed); receivers count every message they take.  At the end the
 * parent stops the senders, lets the consumers drain their inboxes,
 * drains every mailbox left, and verifies:
 *
 *   - nothing corrupted (header, checksum, sender pid and mailbox id as
 *     the kernel reports them, the channel and epoch it came from);
 *   - nothing duplicated, and nothing from a failed send (only a send cut
 *     short by SIGKILL may have gone either way);
 *   - per-sender order kept on each mailbox and link, as each receiver
 *     saw it (per sending process: receive(Q) takes one process's
 *     messages, so a sender slot's child or successor may overtake it;
 *     and on an instance where a receive into read-only memory failed,
 *     the message it put back may come after a later one another
 *     receiver took meanwhile: counted apart);
 *   - nothing lost: every successful send was received, unless the test
 *     destroyed that mailbox instance or ended that inbox's owner while
 *     the message was queued; then only the sender's last messages to
 *     that instance may be missing, none on a zero-capacity channel and
 *     at most the limit on a bounded one (one more for each receive into
 *     read-only memory there, which may leave it one over);
 *   - lifetimes as the test made them: every destroyed instance is gone,
 *     every other one was drained at the end.
 *
 *   stress_test [-s SEED] [-t SECONDS] [-p PRODUCERS] [-c CONSUMERS]
 *
 * Output is TAP, one line per property, and the figures as comments.  The
 * seed is printed, so a failure is reproducible (scheduling aside).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mbx_util.h"

#define MAX_PROD	32
#define MAX_CONS	32
#define NTHR		3	/* tasks per process: main thread, 2 workers */
#define MAX_IDS		((MAX_PROD + MAX_CONS) * NTHR)
#define NBOX		9	/* mailbox slots: 3 of each capacity mode */
#define CHANNELS	(NBOX + MAX_CONS)	/* mailbox slots, then inboxes */
#define MAX_EPOCH	4096	/* instances of one channel */
#define SEQ_MAX		8192	/* messages per sender and channel */
#define MAX_PAYLOAD	2048
#define LIMIT		4	/* of bounded mailboxes and inboxes */
#define MAGIC		0x6d627822u
#define WAIT_NS		(20 * MS)	/* timed calls */
#define END_NS		(60000 * MS)	/* each end phase, at most */

struct msg {
	uint32_t magic;
	uint16_t sender;
	uint16_t channel;
	uint32_t epoch;
	uint32_t seq;
	int32_t pid;
	uint32_t len;
	uint32_t sum;
	uint8_t payload[MAX_PAYLOAD];
};

#define HDR		offsetof(struct msg, payload)

/* What a sender knows about one of its messages. */
enum { S_NONE, S_ATTEMPTED, S_SENT, S_FAILED };
#define S_STATE(state)	((state) & 0xf)
#define S_HOW(state)	((state) >> 4)	/* send_call()'s mode, 8: poll, 9: call */

struct rec {
	uint8_t state;		/* S_* | how << 4 */
	uint8_t got;		/* times received */
	uint16_t epoch;		/* the instance it was sent to */
	pid_t pid;		/* the process that sent it */
};

/*
 * The kernel keeps order per sending process, and receive(Q) picks one
 * process's messages: a sender slot that changed process (a child sending
 * for it, a successor, a replacement after SIGKILL) is ordered per
 * process.
 */
struct last {
	pid_t pid;
	uint32_t seq;		/* the next one expected at least */
};

struct box_inst {
	uint32_t claimed;	/* someone creates it */
	uint32_t id;		/* its mailbox id, once created */
	uint32_t destroyed;	/* the test destroys it (set before the call) */
	uint32_t drained;	/* found and drained at the end */
};

struct inbox_inst {
	pid_t pid;		/* its owner */
	uint32_t ended;		/* the owner exited (handed over) */
	uint32_t drained;	/* the owner drained it at the end */
};

enum {
	C_PROCS, C_HANDOVERS, C_OWNER_EXITS, C_CHILDREN, C_THREADS, C_KILLS,
	C_SIGNALS, C_CREATES, C_DESTROYS, C_SCRATCH, C_OPENS, C_OPENS_ID,
	C_CLOSES, C_DEV_OPENS, C_SENT, C_RECEIVED, C_DRAINED, C_LOCAL,
	C_UNTIMED_SEND, C_UNTIMED_RECV, C_POLLS, C_STATS, C_EINTR,
	C_ETIMEDOUT, C_EAGAIN, C_EIDRM, C_ESRCH, C_ENOBUFS, C_SATURATED,
	C_CALL, C_WRITES, C_READS, C_FAULTS, C_CORRUPT, C_MISORDERED,
	C_REORDERED, C_UNEXPECTED, NCOUNT
};

#define MAX_REPORTS	8

struct shared {
	volatile int phase;	/* 0 run, 1 stop sending, 2 drain and exit */
	uint32_t box_epoch[NBOX];
	uint64_t inbox_addr[MAX_CONS];	/* pid << 32 | epoch; 0: none yet */
	struct box_inst box[NBOX][MAX_EPOCH];
	struct inbox_inst inbox[MAX_CONS][MAX_EPOCH];
	pid_t prod_pid[MAX_PROD];
	uint32_t killed[MAX_PROD];	/* times its group was SIGKILLed */
	uint32_t quiet[MAX_CONS];	/* its consumer no longer sends */
	uint32_t starts[MAX_IDS];	/* threads that were this sender */
	pid_t tid[MAX_IDS], tgid[MAX_IDS];	/* for the signals */
	uint32_t next[MAX_IDS][CHANNELS];	/* next sequence number */
	/* Receives into read-only memory tried on an instance (R_FAULT). */
	uint32_t faults[CHANNELS][MAX_EPOCH];
	int tasks_now, tasks_max;
	uint64_t count[NCOUNT];
	uint32_t nreports;
	char report[MAX_REPORTS][160];
};

/* A mailbox handle as one task holds it. */
struct handle {
	int fd;
	uint32_t epoch;
	uint32_t id;
};

/* One task: a thread, the sender it is, and what it holds. */
struct task {
	int id;			/* sender: slot * NTHR + thread index */
	uint64_t rng;
	int dev;		/* this task's own /dev/mailbox descriptor */
	bool timed_only;	/* a short-lived child: nobody signals it */
	const char *how;	/* the last receive, for reports */
	unsigned int send_how;	/* the last send's mode */
	struct handle h[NBOX];
	struct last *last;	/* [sender][channel]: per-receiver order */
	pthread_t thread;
	volatile int running;
	struct msg m, r;
};

enum { R_NONBLOCK, R_TIMED, R_UNTIMED, R_FROM, R_POLL, R_FAULT };

/* Errors a call may end with in this test; anything else is a bug. */
#define A_AGAIN		0x1
#define A_INTR		0x2
#define A_TIMEDOUT	0x4
#define A_IDRM		0x8
#define A_SRCH		0x10
#define A_NOBUFS	0x20
#define A_WAIT		(A_AGAIN | A_INTR | A_TIMEDOUT)

static struct shared *sh;
/* A receive buffer that cannot be written (R_FAULT). */
static void *read_only;
static struct rec *recs;
static int nprod = 12, ncons = 8, nids, nch;
static uint64_t seed;
static pid_t run_pid;
static pid_t pgids[MAX_PROD + MAX_CONS];

/* Per process (copied by fork): who this process is. */
static int my_slot;		/* producers 0.., consumers nprod.. */
static bool owner;		/* a consumer: owns an inbox, is never killed */
static int inbox_fd = -1;	/* keeps the inbox for its whole life */
static uint32_t my_epoch;
static volatile int stop_workers;
static struct task *tasks[NTHR];

static uint32_t rnd(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

static void count(int what)
{
	__atomic_fetch_add(&sh->count[what], 1, __ATOMIC_RELAXED);
}

static void report(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Keep the first few problems for the end (no stdio in children). */
static void report(const char *fmt, ...)
{
	uint32_t i = __atomic_fetch_add(&sh->nreports, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (i >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(sh->report[i], sizeof(sh->report[i]), fmt, ap);
	va_end(ap);
}

static void unexpected(const struct task *t, const char *what, long err)
{
	count(C_UNEXPECTED);
	report("sender %d: %s: %s", t ? t->id : -1, what,
	       strerrorname_np(err < 0 ? -err : err) ?: "?");
}

/* Count a failed call; report it unless @allow says it may happen. */
static void failed(const struct task *t, const char *what, long err,
		   unsigned int allow)
{
	static const struct {
		int err;
		unsigned int bit;
		int counter;
	} known[] = {
		{ EAGAIN, A_AGAIN, C_EAGAIN },
		{ EINTR, A_INTR, C_EINTR },
		{ ETIMEDOUT, A_TIMEDOUT, C_ETIMEDOUT },
		{ EIDRM, A_IDRM, C_EIDRM },
		{ ESRCH, A_SRCH, C_ESRCH },
		{ ENOBUFS, A_NOBUFS, C_ENOBUFS },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (-err == known[i].err && (allow & known[i].bit)) {
			count(known[i].counter);
			return;
		}
	unexpected(t, what, err);
}

static struct rec *rec_of(int id, int ch, uint32_t seq)
{
	return &recs[((size_t)id * nch + ch) * SEQ_MAX + seq];
}

static unsigned int capacity_of(int ch)
{
	return (ch < NBOX ? ch : ch - NBOX) % 3;
}

static uint32_t checksum(const struct msg *m)
{
	uint32_t h = 2166136261u ^ m->sender ^ (m->channel << 16);
	uint32_t i;

	h = (h ^ m->seq) * 16777619u;
	h = (h ^ m->epoch) * 16777619u;
	h = (h ^ (uint32_t)m->pid) * 16777619u;
	for (i = 0; i < m->len; i++)
		h = (h ^ m->payload[i]) * 16777619u;
	return h;
}

static void on_signal(int sig)
{
	(void)sig;
}

static void box_name(char *buf, size_t size, int slot, uint32_t epoch)
{
	snprintf(buf, size, "stress-%d-%d-%u", (int)run_pid, slot, epoch);
}

static void register_task(struct task *t)
{
	int n;

	sh->tgid[t->id] = getpid();
	__atomic_store_n(&sh->tid[t->id], gettid(), __ATOMIC_RELEASE);
	n = __atomic_add_fetch(&sh->tasks_now, 1, __ATOMIC_RELAXED);
	if (n > __atomic_load_n(&sh->tasks_max, __ATOMIC_RELAXED))
		__atomic_store_n(&sh->tasks_max, n, __ATOMIC_RELAXED);
}

static void unregister_task(struct task *t)
{
	__atomic_store_n(&sh->tid[t->id], 0, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&sh->tasks_now, 1, __ATOMIC_RELAXED);
}

static struct task *task_new(int id)
{
	struct task *t = calloc(1, sizeof(*t));
	uint32_t start, i;

	if (!t)
		return NULL;
	t->last = calloc((size_t)nids * nch, sizeof(*t->last));
	if (!t->last) {
		free(t);
		return NULL;
	}
	start = __atomic_fetch_add(&sh->starts[id], 1, __ATOMIC_RELAXED);
	t->id = id;
	t->rng = seed ^ (0x9e3779b97f4a7c15ULL * (id + 1)) ^
		 ((uint64_t)start << 40);
	t->dev = -1;
	for (i = 0; i < NBOX; i++)
		t->h[i].fd = -1;
	return t;
}

static void drop_handle(struct task *t, int slot)
{
	if (t->h[slot].fd < 0)
		return;
	close(t->h[slot].fd);
	t->h[slot].fd = -1;
	count(C_CLOSES);
}

/* Close what the task holds; the task itself stays (a fork copies it). */
static void task_release(struct task *t)
{
	int i;

	for (i = 0; i < NBOX; i++)
		drop_handle(t, i);
	if (t->dev >= 0)
		close(t->dev);
	t->dev = -1;
}

static void task_free(struct task *t)
{
	free(t->last);
	free(t);
}

static int create_box(int dev, int slot, uint32_t epoch, unsigned int *id)
{
	struct msg_box_attr attr = {
		.capacity = capacity_of(slot),
		.limit = capacity_of(slot) == MBX_CAP_BOUNDED ? LIMIT : 0,
		.max_msg_size = sizeof(struct msg),
		.mode = 0600,
	};
	char name[MBX_NAME_MAX + 1];

	box_name(name, sizeof(name), slot, epoch);
	return msg_box_open(dev, name, 0, MBX_O_CREAT | MBX_O_EXCL |
			    MBX_O_SEND | MBX_O_RECV, &attr, id);
}

/*
 * Instance @epoch of @slot is gone (ENOENT or EIDRM): create the next one,
 * unless someone else does.  Only consumers, which are never killed, do
 * it, so a claim is always followed by a creation.
 */
static void replace_box(struct task *t, int slot, uint32_t epoch)
{
	uint32_t zero = 0;
	unsigned int id;
	int fd;

	if (!owner || epoch + 1 >= MAX_EPOCH ||
	    __atomic_load_n(&sh->box_epoch[slot], __ATOMIC_ACQUIRE) != epoch)
		return;
	if (!__atomic_compare_exchange_n(&sh->box[slot][epoch + 1].claimed,
					 &zero, 1, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return;
	fd = create_box(t->dev, slot, epoch + 1, &id);
	if (fd < 0) {
		unexpected(t, "create", fd);
		__atomic_store_n(&sh->box[slot][epoch + 1].claimed, 0,
				 __ATOMIC_SEQ_CST);
		return;
	}
	sh->box[slot][epoch + 1].id = id;
	__atomic_store_n(&sh->box_epoch[slot], epoch + 1, __ATOMIC_RELEASE);
	count(C_CREATES);
	if (t->h[slot].fd < 0) {
		t->h[slot].fd = fd;
		t->h[slot].epoch = epoch + 1;
		t->h[slot].id = id;
	} else {
		close(fd);
	}
}

/* Open the current instance of @slot, by id now and then, else by name. */
static struct handle *get_handle(struct task *t, int slot)
{
	struct handle *h = &t->h[slot];
	unsigned int flags = owner ? MBX_O_SEND | MBX_O_RECV : MBX_O_SEND;
	char name[MBX_NAME_MAX + 1];
	struct mbx_stat st;
	unsigned int id;
	uint32_t epoch;
	int fd;

	if (h->fd >= 0)
		return h;
	if (t->dev < 0)
		return NULL;
	epoch = __atomic_load_n(&sh->box_epoch[slot], __ATOMIC_ACQUIRE);
	box_name(name, sizeof(name), slot, epoch);
	id = sh->box[slot][epoch].id;
	if (rnd(&t->rng) % 4 == 0) {
		/* Ids are reused: the name says whether it is still ours. */
		fd = msg_box_open_id(t->dev, id, flags);
		if (fd >= 0) {
			if (msg_stat(fd, &st) == 0 && !strcmp(st.name, name)) {
				count(C_OPENS_ID);
				goto found;
			}
			close(fd);
		} else if (fd != -ENOENT) {
			unexpected(t, "open by id", fd);
		}
	}
	fd = msg_box_open(t->dev, name, 0, flags, NULL, &id);
	if (fd == -ENOENT) {
		replace_box(t, slot, epoch);
		return h->fd >= 0 ? h : NULL;
	}
	if (fd < 0) {
		unexpected(t, "open", fd);
		return NULL;
	}
	count(C_OPENS);
found:
	h->fd = fd;
	h->epoch = epoch;
	h->id = id;
	return h;
}

/* The handle's mailbox was destroyed: let go of it, maybe replace it. */
static void handle_gone(struct task *t, int slot)
{
	uint32_t epoch = t->h[slot].epoch;

	drop_handle(t, slot);
	replace_box(t, slot, epoch);
}

/*
 * The next message of this sender on @ch, to instance @epoch, recorded as
 * attempted before it is sent: a SIGKILL in the call leaves this trace.
 */
static struct rec *begin_send(struct task *t, int ch, uint32_t epoch)
{
	uint32_t seq = sh->next[t->id][ch], i;
	struct msg *m = &t->m;
	struct rec *r;

	if (seq >= SEQ_MAX) {
		count(C_SATURATED);
		return NULL;
	}
	r = rec_of(t->id, ch, seq);
	r->epoch = epoch;
	r->pid = getpid();
	__atomic_store_n(&r->state, S_ATTEMPTED, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sh->next[t->id][ch], seq + 1, __ATOMIC_SEQ_CST);

	m->magic = MAGIC;
	m->sender = t->id;
	m->channel = ch;
	m->epoch = epoch;
	m->seq = seq;
	m->pid = r->pid;
	m->len = rnd(&t->rng) % MAX_PAYLOAD;
	for (i = 0; i < m->len; i++)
		m->payload[i] = rnd(&t->rng);
	m->sum = checksum(m);
	return r;
}

static void end_send(struct task *t, struct rec *r, int ret)
{
	__atomic_store_n(&r->state, (ret >= 0 ? S_SENT : S_FAILED) |
			 t->send_how << 4, __ATOMIC_SEQ_CST);
	if (ret >= 0)
		count(C_SENT);
}

/* One send in a random blocking mode, to a handle or (@to) an inbox. */
static int send_call(struct task *t, int fd, pid_t to)
{
	size_t len = HDR + t->m.len;
	uint32_t mode = rnd(&t->rng) % 8;
	unsigned int flags = mode == 1 || mode >= 6 ? MBX_F_SYNC : 0;

	if (t->timed_only && (mode == 4 || mode == 5 || mode == 6))
		mode = 2;
	t->send_how = mode;
	if (mode <= 1) {
		flags |= MBX_F_NONBLOCK;
		return to ? msg_send_to(fd, to, &t->m, len, flags) :
			    msg_send(fd, &t->m, len, flags);
	}
	if (mode <= 3 || mode == 7)
		return to ? msg_send_to_timed(fd, to, &t->m, len, flags,
					      WAIT_NS) :
			    msg_send_timed(fd, &t->m, len, flags, WAIT_NS);
	count(C_UNTIMED_SEND);
	if (!to && mode == 5) {
		/* write(2): as msg_send() with no flags. */
		count(C_WRITES);
		return write(fd, &t->m, len) == (ssize_t)len ? 0 : -errno;
	}
	return to ? msg_send_to(fd, to, &t->m, len, flags) :
		    msg_send(fd, &t->m, len, flags);
}

static void send_box(struct task *t, int slot)
{
	struct handle *h = get_handle(t, slot);
	struct rec *r;
	int ret;

	if (!h)
		return;
	r = begin_send(t, slot, h->epoch);
	if (!r)
		return;
	ret = send_call(t, h->fd, 0);
	end_send(t, r, ret);
	if (ret < 0)
		failed(t, "send", ret, A_WAIT | A_IDRM | A_NOBUFS);
	if (ret == -EIDRM)
		handle_gone(t, slot);
}

static void send_inbox(struct task *t, int i)
{
	uint64_t addr = __atomic_load_n(&sh->inbox_addr[i], __ATOMIC_ACQUIRE);
	pid_t pid = addr >> 32;
	struct rec *r;
	int ret;

	if (!pid || t->dev < 0)
		return;
	r = begin_send(t, NBOX + i, (uint32_t)addr);
	if (!r)
		return;
	ret = send_call(t, t->dev, pid);
	end_send(t, r, ret);
	if (ret < 0)
		failed(t, "send to", ret, A_WAIT | A_SRCH | A_NOBUFS);
}

/* Check and count one received message, from instance @epoch of @ch. */
static void account(struct task *t, ssize_t n, const struct msg_meta *meta,
		    int ch, uint32_t epoch, uint32_t box_id, bool drain)
{
	const struct msg *m = &t->r;
	struct last *last;
	struct rec *r;

	if (n < (ssize_t)HDR || m->magic != MAGIC || m->sender >= nids ||
	    m->channel != ch || m->epoch != epoch || m->seq >= SEQ_MAX ||
	    m->len > MAX_PAYLOAD || n != (ssize_t)(HDR + m->len) ||
	    m->sum != checksum(m) || meta->sender_pid != m->pid ||
	    meta->mailbox_id != box_id ||
	    rec_of(m->sender, ch, m->seq)->epoch != epoch ||
	    rec_of(m->sender, ch, m->seq)->pid != m->pid) {
		count(C_CORRUPT);
		report("corrupt: %zd bytes on channel %d epoch %u (sender %u seq %u pid %d/%d)",
		       n, ch, epoch, m->sender, m->seq, m->pid,
		       meta->sender_pid);
		return;
	}
	last = &t->last[m->sender * nch + ch];
	/*
	 * A receive into read-only memory on this instance may have held
	 * this message while this receiver took a later one of the same
	 * sender, then put it back (README, "A receive whose copy-out
	 * faults puts its message back"): counted, not a failure.
	 */
	if (last->pid == m->pid && last->seq > m->seq + 1 &&
	    __atomic_load_n(&sh->faults[ch][epoch], __ATOMIC_RELAXED)) {
		count(C_REORDERED);
	} else if (last->pid == m->pid && last->seq > m->seq + 1) {
		count(C_MISORDERED);
		report("order: receiver %d sender %u (pid %d) channel %d: seq %u (epoch %u, %s, sent %u) after %u (epoch %u, sent %u)",
		       t->id, m->sender, m->pid, ch, m->seq, epoch, t->how,
		       S_HOW(rec_of(m->sender, ch, m->seq)->state),
		       last->seq - 1,
		       rec_of(m->sender, ch, last->seq - 1)->epoch,
		       S_HOW(rec_of(m->sender, ch, last->seq - 1)->state));
	}
	last->pid = m->pid;
	last->seq = m->seq + 1;
	r = rec_of(m->sender, ch, m->seq);
	__atomic_fetch_add(&r->got, 1, __ATOMIC_RELAXED);
	count(drain ? C_DRAINED : C_RECEIVED);
}

/* Some process that may have sent something, for receive(Q). */
static pid_t some_sender(struct task *t)
{
	uint32_t k = rnd(&t->rng) % (nprod + ncons);

	if (k < (uint32_t)nprod)
		return __atomic_load_n(&sh->prod_pid[k], __ATOMIC_RELAXED);
	return __atomic_load_n(&sh->inbox_addr[k - nprod],
			       __ATOMIC_RELAXED) >> 32;
}

/* One receive from mailbox @slot, or from the inbox (@slot < 0). */
static void do_recv(struct task *t, int slot, int mode)
{
	static const char * const hows[] = {
		[R_NONBLOCK] = "non-blocking", [R_TIMED] = "timed",
		[R_UNTIMED] = "untimed", [R_FROM] = "from one sender",
		[R_FAULT] = "into read-only memory",
	};
	struct msg_meta meta;
	struct handle *h = NULL;
	unsigned int allow = A_WAIT | A_SRCH;
	uint32_t epoch, id = 0;
	ssize_t n;
	pid_t from;
	int fd, ch;

	if (slot >= 0) {
		h = get_handle(t, slot);
		if (!h)
			return;
		fd = h->fd;
		ch = slot;
		epoch = h->epoch;
		id = h->id;
		allow |= A_IDRM;
	} else {
		fd = t->dev;
		ch = NBOX + my_slot - nprod;
		epoch = my_epoch;
		if (fd < 0)
			return;
	}
	if (t->timed_only && mode == R_UNTIMED)
		mode = R_TIMED;
	t->how = hows[mode];
	switch (mode) {
	case R_NONBLOCK:
		n = msg_recv(fd, &t->r, sizeof(t->r), MBX_F_NONBLOCK, &meta);
		break;
	case R_TIMED:
		n = msg_recv_timed(fd, &t->r, sizeof(t->r), 0, WAIT_NS, &meta);
		break;
	case R_FROM:
		from = some_sender(t);
		n = msg_recv_from_timed(fd, from, &t->r, sizeof(t->r), 0,
					WAIT_NS, &meta);
		if (n >= 0 && from && meta.sender_pid != from)
			unexpected(t, "receive from: another sender", 0);
		break;
	case R_FAULT:
		/*
		 * EFAULT, and nothing taken: the message (or zero-capacity
		 * sender) goes back where it was in line, which the checks
		 * of order and loss see.  A bounded mailbox may be left one
		 * over its limit (README, "A receive whose copy-out faults
		 * puts its message back"), which those checks allow for:
		 * counted before the call, so that they never see the
		 * extra message without it, and taken back after it but
		 * for EFAULT (or a SIGKILL meanwhile).
		 */
		__atomic_fetch_add(&sh->faults[ch][epoch], 1,
				   __ATOMIC_RELAXED);
		from = rnd(&t->rng) % 2 ? some_sender(t) : 0;
		n = msg_recv_from_timed(fd, from, read_only, sizeof(t->r), 0,
					WAIT_NS, &meta);
		if (n >= 0) {
			unexpected(t, "receive into read-only memory", n);
			return;
		}
		if (n == -EFAULT) {
			count(C_FAULTS);
			return;
		}
		/* Nothing was taken, so nothing put back: no allowance. */
		__atomic_fetch_sub(&sh->faults[ch][epoch], 1,
				   __ATOMIC_RELAXED);
		break;
	default:
		count(C_UNTIMED_RECV);
		if (rnd(&t->rng) % 2) {
			n = msg_recv(fd, &t->r, sizeof(t->r), 0, &meta);
			break;
		}
		/*
		 * read(2): no metadata, so what account() compares with
		 * the kernel's report comes from the message itself.
		 */
		count(C_READS);
		n = read(fd, &t->r, sizeof(t->r));
		if (n < 0)
			n = -errno;
		meta.sender_pid = t->r.pid;
		meta.mailbox_id = id;
	}
	if (n >= 0) {
		account(t, n, &meta, ch, epoch, id, false);
		return;
	}
	failed(t, slot >= 0 ? "receive" : "receive inbox", n, allow);
	if (n == -EIDRM)
		handle_gone(t, slot);
}

/*
 * msg_call(): a timed send to mailbox @slot and a timed receive from the
 * inbox in one system call, accounted as a send (sent or not, as the call
 * says) and a receive.
 */
static void call_op(struct task *t, int slot)
{
	struct handle *h = get_handle(t, slot);
	struct mbx_send s = { 0 };
	struct mbx_recv r = { 0 };
	struct msg_meta meta;
	struct rec *rec;
	int sent = 0;
	ssize_t n;

	if (!h || t->dev < 0)
		return;
	rec = begin_send(t, slot, h->epoch);
	if (!rec)
		return;
	s.buf = (uintptr_t)&t->m;
	s.len = HDR + t->m.len;
	s.flags = MBX_F_TIMEOUT;
	s.timeout_ns = WAIT_NS;
	r.buf = (uintptr_t)&t->r;
	r.len = sizeof(t->r);
	r.flags = MBX_F_TIMEOUT;
	r.timeout_ns = WAIT_NS;
	t->send_how = 9;
	t->how = "call";
	n = msg_call(h->fd, &s, t->dev, &r, &sent);
	end_send(t, rec, sent ? 0 : (int)n);
	count(C_CALL);
	if (!sent) {
		failed(t, "call: send", n, A_WAIT | A_IDRM | A_NOBUFS);
		if (n == -EIDRM)
			handle_gone(t, slot);
		return;
	}
	if (n < 0) {
		failed(t, "call: receive", n, A_WAIT | A_SRCH);
		return;
	}
	meta.len = r.msg_len;
	meta.sender_pid = r.sender_pid;
	meta.sender_uid = r.sender_uid;
	meta.mailbox_id = r.mailbox_id;
	account(t, n, &meta, NBOX + my_slot - nprod, my_epoch, 0, false);
}

/* Poll a few mailboxes and the inbox, then take from a ready one. */
static void poll_recv(struct task *t)
{
	struct pollfd pfd[4];
	int slots[4], k = 0, i, ret;
	struct handle *h;

	for (i = 0; i < 3; i++) {
		slots[k] = rnd(&t->rng) % NBOX;
		h = get_handle(t, slots[k]);
		if (!h)
			continue;
		pfd[k].fd = h->fd;
		pfd[k++].events = POLLIN;
	}
	if (t->dev >= 0) {
		slots[k] = -1;
		pfd[k].fd = t->dev;
		pfd[k++].events = POLLIN;
	}
	count(C_POLLS);
	ret = poll(pfd, k, 20);
	if (ret < 0 && errno == EINTR)
		count(C_EINTR);
	for (i = 0; ret > 0 && i < k; i++)
		if (pfd[i].revents) {
			do_recv(t, slots[i], R_NONBLOCK);
			break;
		}
}

/* Wait until a mailbox may take a message, then send without blocking. */
static void poll_send(struct task *t)
{
	int slot = rnd(&t->rng) % NBOX;
	struct handle *h = get_handle(t, slot);
	struct pollfd pfd;
	struct rec *r;
	int ret;

	if (!h)
		return;
	pfd.fd = h->fd;
	pfd.events = POLLOUT;
	count(C_POLLS);
	if (poll(&pfd, 1, 20) <= 0)
		return;
	r = begin_send(t, slot, h->epoch);
	if (!r)
		return;
	t->send_how = 8;
	ret = msg_send(h->fd, &t->m, HDR + t->m.len, MBX_F_NONBLOCK);
	end_send(t, r, ret);
	if (ret < 0)
		failed(t, "send after poll", ret, A_AGAIN | A_IDRM | A_NOBUFS);
	if (ret == -EIDRM)
		handle_gone(t, slot);
}

static void stat_op(struct task *t)
{
	int slot = rnd(&t->rng) % NBOX;
	struct handle *h = get_handle(t, slot);
	char name[MBX_NAME_MAX + 1];
	struct mbx_stat st;
	int ret;

	if (!h)
		return;
	count(C_STATS);
	ret = msg_stat(h->fd, &st);
	if (ret == -EIDRM)
		return;
	box_name(name, sizeof(name), slot, h->epoch);
	if (ret)
		unexpected(t, "stat", ret);
	else if (st.capacity != capacity_of(slot) || strcmp(st.name, name) ||
		 (st.capacity == MBX_CAP_BOUNDED && st.msg_count > LIMIT +
		  __atomic_load_n(&sh->faults[slot][h->epoch],
				  __ATOMIC_RELAXED)) ||
		 (st.capacity == MBX_CAP_ZERO && st.msg_count))
		unexpected(t, "stat: not the mailbox it should be", 0);
	if (owner && t->dev >= 0 && !msg_stat(t->dev, &st) &&
	    st.capacity != capacity_of(NBOX + my_slot - nprod))
		unexpected(t, "stat inbox: capacity", 0);
}

/* Destroy the current instance of a mailbox slot; the next one follows. */
static void destroy_op(struct task *t)
{
	int slot = rnd(&t->rng) % NBOX;
	struct handle *h = get_handle(t, slot);
	int ret;

	if (!h || h->epoch + 2 >= MAX_EPOCH)
		return;
	/* Before the call: the verifier may then excuse what it frees. */
	__atomic_store_n(&sh->box[slot][h->epoch].destroyed, 1,
			 __ATOMIC_SEQ_CST);
	ret = msg_box_destroy(h->fd);
	if (ret == 0)
		count(C_DESTROYS);
	else if (ret != -EIDRM)
		unexpected(t, "destroy", ret);
	handle_gone(t, slot);
}

/*
 * A private mailbox of a random capacity: create, send to ourselves,
 * receive, maybe leave a message for the destroy to free, close.
 */
static void private_op(struct task *t)
{
	struct msg_box_attr attr = {
		.capacity = rnd(&t->rng) % 3,
		.max_msg_size = 256,
		.mode = 0600,
	};
	unsigned int tag = rnd(&t->rng);
	char buf[256];
	int fd, i, n, ret;

	attr.limit = attr.capacity == MBX_CAP_BOUNDED ? LIMIT : 0;
	if (t->dev < 0)
		return;
	fd = msg_box_open(t->dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			  MBX_O_RECV, &attr, NULL);
	if (fd < 0) {
		unexpected(t, "create private", fd);
		return;
	}
	count(C_SCRATCH);
	n = 1 + rnd(&t->rng) % LIMIT;
	for (i = 0; i < n; i++) {
		fill(buf, sizeof(buf), tag + i);
		ret = msg_send(fd, buf, sizeof(buf), MBX_F_NONBLOCK);
		if (attr.capacity == MBX_CAP_ZERO ? ret != -EAGAIN :
		    ret && ret != -ENOBUFS)
			unexpected(t, "private send", ret);
		if (ret)
			n = i;
	}
	/* Now and then one is left for the destroy to free. */
	if (n && rnd(&t->rng) % 2)
		n--;
	for (i = 0; i < n; i++) {
		ret = msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK, NULL);
		if (ret != sizeof(buf) || check_fill(buf, sizeof(buf), tag + i)) {
			count(C_CORRUPT);
			report("private mailbox: message %d: %d", i, ret);
			break;
		}
		count(C_LOCAL);
	}
	ret = msg_box_destroy(fd);
	if (ret)
		unexpected(t, "destroy private", ret);
	ret = msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK, NULL);
	if (ret != -EIDRM)
		unexpected(t, "receive after destroy", ret);
	close(fd);
	count(C_CLOSES);
}

/*
 * A named scratch mailbox: create it, open it again by name and by id,
 * send through one handle and receive through the other, destroy it
 * through a control handle and see the others fail with EIDRM.
 */
static void scratch_op(struct task *t)
{
	struct msg_box_attr attr = {
		.capacity = MBX_CAP_UNBOUNDED,
		.max_msg_size = 64,
		.mode = 0600,
	};
	char name[MBX_NAME_MAX + 1], buf[64];
	unsigned int id;
	int c, s, r, k, ret;

	if (t->dev < 0)
		return;
	snprintf(name, sizeof(name), "stress-%d-scratch-%d", (int)run_pid,
		 t->id);
	c = msg_box_open(t->dev, name, 0, MBX_O_CREAT | MBX_O_EXCL |
			 MBX_O_SEND, &attr, &id);
	if (c < 0) {
		unexpected(t, "create scratch", c);
		return;
	}
	count(C_SCRATCH);
	s = msg_box_open(t->dev, name, 0, MBX_O_SEND, NULL, NULL);
	r = msg_box_open_id(t->dev, id, MBX_O_RECV);
	if (s < 0 || r < 0) {
		unexpected(t, "open scratch", s < 0 ? s : r);
	} else {
		fill(buf, sizeof(buf), id);
		ret = msg_send(s, buf, sizeof(buf), 0);
		if (ret)
			failed(t, "send scratch", ret, A_INTR | A_NOBUFS);
		if (!ret && (msg_recv(r, buf, sizeof(buf), MBX_F_NONBLOCK,
				      NULL) !=
			     sizeof(buf) || check_fill(buf, sizeof(buf), id))) {
			count(C_CORRUPT);
			report("scratch mailbox %s: bad message", name);
		}
		if (!ret)
			count(C_LOCAL);
	}
	k = msg_box_open(t->dev, name, 0, 0, NULL, NULL);
	ret = msg_box_destroy(k >= 0 ? k : c);
	if (k < 0 || ret)
		unexpected(t, "destroy scratch", k < 0 ? k : ret);
	if (k >= 0)
		close(k);
	if (s >= 0 && (ret = msg_send(s, buf, 1, 0)) != -EIDRM)
		unexpected(t, "send after destroy", ret);
	if (s >= 0)
		close(s);
	if (r >= 0)
		close(r);
	close(c);
	count(C_CLOSES);
}

static void reopen_dev(struct task *t)
{
	if (t->dev >= 0)
		close(t->dev);
	t->dev = msg_dev_open(0);
	if (t->dev < 0)
		unexpected(t, "open /dev/mailbox", t->dev);
	else
		count(C_DEV_OPENS);
}

/*
 * A short-lived child that does a few calls as this task (the task waits
 * for it, so the sender's messages stay in order), then exits.  Nobody
 * signals it, so its calls are all bounded.
 */
static void child_op(struct task *t)
{
	int status, n, ret;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		t->timed_only = true;
		for (n = 1 + rnd(&t->rng) % 4; n > 0; n--) {
			if (owner)
				do_recv(t, rnd(&t->rng) % NBOX,
					rnd(&t->rng) % 2 ? R_TIMED : R_NONBLOCK);
			else if (rnd(&t->rng) % 2)
				send_box(t, rnd(&t->rng) % NBOX);
			else
				send_inbox(t, rnd(&t->rng) % ncons);
		}
		_exit(0);
	}
	if (pid < 0) {
		unexpected(t, "fork", -errno);
		return;
	}
	count(C_CHILDREN);
	while ((ret = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (ret != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		unexpected(t, "child's exit", 0);
}

/* The mix; consumers receive, only producers may be killed. */
static void one_op(struct task *t)
{
	uint32_t r = rnd(&t->rng) % 1000;

	if (!owner) {
		if (r < 450)
			send_box(t, rnd(&t->rng) % NBOX);
		else if (r < 800)
			send_inbox(t, rnd(&t->rng) % ncons);
		else if (r < 860)
			poll_send(t);
		else if (r < 920)
			drop_handle(t, rnd(&t->rng) % NBOX);
		else if (r < 950)
			reopen_dev(t);
		else if (r < 990)
			stat_op(t);
		else if (r < 993)
			child_op(t);
		return;
	}
	if (r < 250) {
		do_recv(t, -1, rnd(&t->rng) % (R_POLL));
	} else if (r < 560) {
		do_recv(t, rnd(&t->rng) % NBOX, rnd(&t->rng) % R_POLL);
	} else if (r < 650) {
		poll_recv(t);
	} else if (r < 800) {
		send_box(t, rnd(&t->rng) % NBOX);
	} else if (r < 880) {
		send_inbox(t, rnd(&t->rng) % ncons);
	} else if (r < 920) {
		drop_handle(t, rnd(&t->rng) % NBOX);
	} else if (r < 935) {
		reopen_dev(t);
	} else if (r < 950) {
		stat_op(t);
	} else if (r < 965) {
		private_op(t);
	} else if (r < 972) {
		scratch_op(t);
	} else if (r < 976) {
		destroy_op(t);
	} else if (r < 979) {
		child_op(t);
	} else if (r < 986) {
		call_op(t, rnd(&t->rng) % NBOX);
	} else if (r < 990) {
		do_recv(t, rnd(&t->rng) % 4 ? (int)(rnd(&t->rng) % NBOX) : -1,
			R_FAULT);
	} else {
		do_recv(t, rnd(&t->rng) % NBOX, R_UNTIMED);
	}
}

static void *worker(void *arg)
{
	struct task *t = arg;
	uint32_t n;

	register_task(t);
	t->dev = msg_dev_open(0);
	if (t->dev < 0)
		unexpected(t, "open /dev/mailbox", t->dev);
	for (n = 50 + rnd(&t->rng) % 500; n && !stop_workers && !sh->phase;
	     n--)
		one_op(t);
	task_release(t);
	unregister_task(t);
	__atomic_store_n(&t->running, 0, __ATOMIC_RELEASE);
	return NULL;
}

static void join_worker(int i)
{
	pthread_join(tasks[i]->thread, NULL);
	task_free(tasks[i]);
	tasks[i] = NULL;
}

/* Stop every worker of this process: signal until each has finished. */
static void stop_all_workers(void)
{
	int i;

	stop_workers = 1;
	for (i = 1; i < NTHR; i++) {
		if (!tasks[i])
			continue;
		while (__atomic_load_n(&tasks[i]->running, __ATOMIC_ACQUIRE)) {
			pthread_kill(tasks[i]->thread, SIGUSR1);
			usleep(1000);
		}
		join_worker(i);
	}
	stop_workers = 0;
}

static void threads_op(struct task *t)
{
	struct task *w;
	int i;

	for (i = 1; i < NTHR; i++) {
		if (tasks[i] &&
		    !__atomic_load_n(&tasks[i]->running, __ATOMIC_ACQUIRE))
			join_worker(i);
		if (tasks[i] || rnd(&t->rng) % 16)
			continue;
		w = task_new(my_slot * NTHR + i);
		if (!w)
			continue;
		w->running = 1;
		tasks[i] = w;
		if (pthread_create(&w->thread, NULL, worker, w)) {
			unexpected(t, "pthread_create", 0);
			task_free(w);
			tasks[i] = NULL;
			continue;
		}
		count(C_THREADS);
	}
}

static void become_owner(int i, uint32_t epoch)
{
	struct mbx_inbox_config cfg = {
		.flags = MBX_INBOX_SET_CAPACITY | MBX_INBOX_SET_MSGSIZE,
		.capacity = capacity_of(NBOX + i),
		.limit = capacity_of(NBOX + i) == MBX_CAP_BOUNDED ? LIMIT : 0,
		.max_msg_size = sizeof(struct msg),
	};
	int ret;

	inbox_fd = msg_dev_open(0);
	if (inbox_fd < 0)
		_exit(20 - inbox_fd);
	ret = msg_inbox_set(inbox_fd, &cfg);
	if (ret)
		_exit(20 - ret);
	my_epoch = epoch;
	sh->inbox[i][epoch].pid = getpid();
	__atomic_store_n(&sh->inbox_addr[i],
			 (uint64_t)getpid() << 32 | epoch, __ATOMIC_RELEASE);
}

/*
 * Fork a successor that carries on as this process, and exit.  Only the
 * main thread, with the workers stopped: the fork copies one thread.  A
 * consumer's successor has a new inbox, and what this one still holds is
 * freed by the exit.
 */
static void handover(struct task *t)
{
	int i = my_slot - nprod;
	pid_t pid;

	if (owner && my_epoch + 2 >= MAX_EPOCH)
		return;
	stop_all_workers();
	unregister_task(t);
	if (owner)
		__atomic_store_n(&sh->inbox[i][my_epoch].ended, 1,
				 __ATOMIC_SEQ_CST);
	pid = fork();
	if (pid < 0) {
		if (owner)
			sh->inbox[i][my_epoch].ended = 0;
		register_task(t);
		unexpected(t, "fork", -errno);
		return;
	}
	if (pid > 0)
		_exit(0);
	count(C_HANDOVERS);
	if (owner) {
		count(C_OWNER_EXITS);
		/* Inherited, these name the old inbox: receive from ours. */
		close(inbox_fd);
		close(t->dev);
		become_owner(i, my_epoch + 1);
		t->dev = msg_dev_open(0);
	} else {
		sh->prod_pid[my_slot] = getpid();
		if (rnd(&t->rng) % 2)
			reopen_dev(t);
	}
	register_task(t);
}

/* A producer's or consumer's main thread, until the end. */
static void __attribute__((noreturn)) process_main(int slot)
{
	struct task *t;
	struct msg_meta meta;
	int i = slot - nprod;
	ssize_t n;

	my_slot = slot;
	owner = slot >= nprod;
	if (owner)
		become_owner(i, 0);
	else
		sh->prod_pid[slot] = getpid();
	t = task_new(slot * NTHR);
	if (!t)
		_exit(2);
	tasks[0] = t;
	register_task(t);
	t->dev = msg_dev_open(0);
	if (t->dev < 0)
		_exit(3);

	while (!sh->phase) {
		threads_op(t);
		if (rnd(&t->rng) % (owner ? 3000 : 1500) == 0)
			handover(t);
		one_op(t);
	}
	stop_all_workers();
	if (!owner) {
		task_release(t);
		unregister_task(t);
		_exit(0);
	}
	/* A consumer takes what comes until nobody sends, then drains. */
	__atomic_store_n(&sh->quiet[i], 1, __ATOMIC_SEQ_CST);
	while (sh->phase < 2)
		do_recv(t, -1, rnd(&t->rng) % R_POLL);
	t->how = "drain";
	while ((n = msg_recv(inbox_fd, &t->r, sizeof(t->r), MBX_F_NONBLOCK,
			     &meta)) != -EAGAIN) {
		if (n >= 0)
			account(t, n, &meta, NBOX + i, my_epoch, 0, true);
		else if (n != -EINTR)
			unexpected(t, "drain inbox", n);
		if (n < 0 && n != -EINTR)
			break;
	}
	__atomic_store_n(&sh->inbox[i][my_epoch].drained, 1, __ATOMIC_SEQ_CST);
	task_release(t);
	unregister_task(t);
	_exit(0);
}

static int bad_exit;

static void reap_all(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
		    sh->count[C_KILLS])
			continue;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("# process %d: status %#x\n", (int)pid, status);
			bad_exit++;
		}
	}
}

static void start(int slot)
{
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		process_main(slot);
	}
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	/* Its own group: a kill takes its successors and children too. */
	setpgid(pid, pid);
	pgids[slot] = pid;
	count(C_PROCS);
}

static bool group_alive(int slot)
{
	return kill(-pgids[slot], 0) == 0 || errno != ESRCH;
}

static void kill_everyone(void)
{
	int i;

	for (i = 0; i < nprod + ncons; i++)
		kill(-pgids[i], SIGKILL);
}

/* SIGKILL producer @p with everything it forked, then start a new one. */
static int kill_producer(int p)
{
	long long deadline = now_ns() + 30000 * MS;
	int i, id;

	__atomic_add_fetch(&sh->killed[p], 1, __ATOMIC_SEQ_CST);
	count(C_KILLS);
	kill(-pgids[p], SIGKILL);
	while (group_alive(p)) {
		if (now_ns() > deadline) {
			printf("# producer %d: still there 30 s after SIGKILL\n",
			       p);
			return -1;
		}
		reap_all();
		usleep(1000);
	}
	for (i = 0; i < NTHR; i++) {
		id = p * NTHR + i;
		if (__atomic_exchange_n(&sh->tid[id], 0, __ATOMIC_SEQ_CST))
			__atomic_sub_fetch(&sh->tasks_now, 1, __ATOMIC_RELAXED);
	}
	start(p);
	return 0;
}

static void signal_task(int id)
{
	pid_t tid = __atomic_load_n(&sh->tid[id], __ATOMIC_ACQUIRE);

	if (tid && tgkill(sh->tgid[id], tid, SIGUSR1) == 0)
		count(C_SIGNALS);
}

static void signal_all(void)
{
	int id;

	for (id = 0; id < nids; id++)
		signal_task(id);
}

/*
 * Whether end phase @phase is reached: 1, every producer is gone and
 * every consumer has stopped sending; 2, everyone is gone.  Each process
 * is in the group of the producer or consumer it descends from.
 */
static bool ended(int phase)
{
	int i;

	reap_all();
	for (i = 0; i < nprod + ncons; i++)
		if ((phase == 2 || i < nprod) && group_alive(i))
			return false;
	for (i = 0; phase == 1 && i < ncons; i++)
		if (!__atomic_load_n(&sh->quiet[i], __ATOMIC_SEQ_CST))
			return false;
	return true;
}

/* Receive what the mailboxes still hold; check which ones exist. */
static int drain_boxes(struct task *t, int dev)
{
	char name[MBX_NAME_MAX + 1];
	struct msg_meta meta;
	unsigned int id;
	int slot, fd, bad = 0;
	uint32_t e;
	ssize_t n;

	for (slot = 0; slot < NBOX; slot++)
		for (e = 0; e <= sh->box_epoch[slot]; e++) {
			box_name(name, sizeof(name), slot, e);
			fd = msg_box_open(dev, name, 0, MBX_O_RECV, NULL, &id);
			if (fd == -ENOENT) {
				if (!sh->box[slot][e].destroyed) {
					printf("# mailbox %s vanished\n", name);
					bad++;
				}
				continue;
			}
			if (fd < 0) {
				printf("# open %s: %s\n", name,
				       strerror(-fd));
				bad++;
				continue;
			}
			if (sh->box[slot][e].destroyed) {
				printf("# mailbox %s survived its destroy\n",
				       name);
				bad++;
			}
			t->how = "drain";
			while ((n = msg_recv(fd, &t->r, sizeof(t->r),
					     MBX_F_NONBLOCK, &meta)) >= 0)
				account(t, n, &meta, slot, e, id, true);
			if (n != -EAGAIN) {
				printf("# drain %s: %s\n", name,
				       strerror((int)-n));
				bad++;
			}
			sh->box[slot][e].drained = 1;
			msg_box_destroy(fd);
			close(fd);
		}
	return bad;
}

/* Every inbox instance ended by its owner's exit, or drained at the end. */
static int check_inboxes(void)
{
	uint32_t e, cur;
	int i, bad = 0;

	for (i = 0; i < ncons; i++) {
		cur = (uint32_t)sh->inbox_addr[i];
		for (e = 0; e <= cur; e++) {
			struct inbox_inst *in = &sh->inbox[i][e];

			if (e < cur ? in->ended && !in->drained :
			    in->drained && !in->ended)
				continue;
			printf("# inbox %d epoch %u: ended %u, drained %u\n",
			       i, e, in->ended, in->drained);
			bad++;
		}
	}
	return bad;
}

struct verdict {
	uint64_t sent, got_sent, dup, phantom, unresolved, lost;
	uint64_t lost_destroy, lost_exit, lost_not_tail, lost_over;
	uint64_t lost_behind_fault;
	uint64_t cut_delivered, cut_lost;
};

/* May a message sent to instance @e of @ch be gone unreceived? */
static bool may_be_freed(int ch, uint32_t e)
{
	if (capacity_of(ch) == MBX_CAP_ZERO)
		return false;	/* a rendezvous send succeeded: received */
	if (ch < NBOX)
		return sh->box[ch][e].destroyed;
	return sh->inbox[ch - NBOX][e].ended;
}

/*
 * Message @seq on instance @e of @ch was received after an earlier one of
 * its sender's was freed unreceived.  Queues are FIFO per sender, so
 * that earlier one was not the tail of what the destroy or the exit
 * freed; unless a receive into read-only memory on the instance held it
 * meanwhile (R_FAULT): then a later one could go first, and the held one
 * go back in line (README, "A receive whose copy-out faults puts its
 * message back") only to be freed there, or be freed by the receive
 * itself if the mailbox was destroyed while it held it.  Allowed then,
 * and counted apart, as a reordering is (C_REORDERED).
 */
static void lost_before(struct verdict *v, int ch, uint32_t e,
			uint32_t seq)
{
	if (sh->faults[ch][e]) {
		v->lost_behind_fault++;
		return;
	}
	v->lost_not_tail++;
	printf("# lost before a later one: channel %d epoch %u, received seq %u\n",
	       ch, e, seq);
}

static void verify(struct verdict *v)
{
	uint32_t *lost = calloc((size_t)nch * MAX_EPOCH, sizeof(*lost));
	struct last *mark = calloc(MAX_EPOCH, sizeof(*mark));
	uint32_t pass = 0, seq, n, e;
	int id, ch;

	if (!lost || !mark) {
		perror("calloc");
		exit(1);
	}
	for (id = 0; id < nids; id++)
		for (ch = 0; ch < nch; ch++) {
			n = sh->next[id][ch];
			pass++;
			for (seq = 0; seq < n; seq++) {
				struct rec *r = rec_of(id, ch, seq);

				e = r->epoch;
				if (r->got > 1)
					v->dup++;
				switch (S_STATE(r->state)) {
				case S_SENT:
					v->sent++;
					if (r->got) {
						v->got_sent++;
						/* Queues are FIFO per sender. */
						if (mark[e].seq == pass &&
						    mark[e].pid == r->pid)
							lost_before(v, ch, e,
								    seq);
					} else if (may_be_freed(ch, e)) {
						lost[ch * MAX_EPOCH + e]++;
						mark[e].seq = pass;
						mark[e].pid = r->pid;
						if (ch < NBOX)
							v->lost_destroy++;
						else
							v->lost_exit++;
					} else {
						v->lost++;
					}
					break;
				case S_ATTEMPTED:
					/* Only a SIGKILL leaves a call open. */
					if (id / NTHR >= nprod ||
					    !sh->killed[id / NTHR])
						v->unresolved++;
					else if (r->got)
						v->cut_delivered++;
					else
						v->cut_lost++;
					break;
				default:
					if (r->got)
						v->phantom++;
				}
			}
		}
	/*
	 * A bounded queue cannot have held more than its limit, but for
	 * one more for each receive into read-only memory (R_FAULT).
	 */
	for (ch = 0; ch < nch; ch++)
		for (e = 0; e < MAX_EPOCH; e++)
			if (capacity_of(ch) == MBX_CAP_BOUNDED &&
			    lost[ch * MAX_EPOCH + e] >
			    LIMIT + sh->faults[ch][e])
				v->lost_over++;
	free(lost);
	free(mark);
}

int main(int argc, char **argv)
{
	uint64_t st, *c;
	struct verdict v = { 0 };
	int seconds = 45, dev, i, slot, stuck = 0, lifetimes, idle;
	long long end, next_kill;
	struct sigaction sa;
	struct task *me;
	size_t recs_size;
	unsigned int id;

	seed = (uint64_t)time(NULL);
	while ((i = getopt(argc, argv, "s:t:p:c:")) != -1) {
		switch (i) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': seconds = atoi(optarg); break;
		case 'p': nprod = atoi(optarg); break;
		case 'c': ncons = atoi(optarg); break;
		default: return 2;
		}
	}
	if (nprod < 1 || nprod > MAX_PROD || ncons < 1 || ncons > MAX_CONS ||
	    seconds < 1)
		return 2;
	nids = (nprod + ncons) * NTHR;
	nch = NBOX + ncons;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..7\n");
	printf("# seed %llu, %d s, %d producer and %d consumer processes of up to %d threads, %d mailbox slots\n",
	       (unsigned long long)seed, seconds, nprod, ncons, NTHR, NBOX);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	recs_size = (size_t)nids * nch * SEQ_MAX * sizeof(struct rec);
	recs = mmap(NULL, recs_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	read_only = mmap(NULL, sizeof(struct msg), PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || recs == MAP_FAILED ||
	    read_only == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits end in EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	/* Orphans (a successor whose parent exited) are reaped here. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	run_pid = getpid();

	dev = msg_dev_open(0);
	if (dev < 0) {
		printf("Bail out! /dev/mailbox: %s\n", strerror(-dev));
		return 1;
	}
	for (slot = 0; slot < NBOX; slot++) {
		i = create_box(dev, slot, 0, &id);
		if (i < 0) {
			printf("Bail out! create: %s\n", strerror(-i));
			return 1;
		}
		sh->box[slot][0].claimed = 1;
		sh->box[slot][0].id = id;
		close(i);
	}
	for (i = 0; i < ncons; i++)
		start(nprod + i);
	for (i = 0; i < nprod; i++)
		start(i);

	/* Signal storms, and now and then a producer killed mid-flight. */
	st = seed;
	end = now_ns() + seconds * 1000LL * MS;
	next_kill = now_ns() + (rnd(&st) % 1000) * MS;
	while (now_ns() < end && !stuck) {
		usleep(1000);
		reap_all();
		for (i = 0; i < 4; i++)
			signal_task(rnd(&st) % nids);
		/* About two a second, however fast the loop goes. */
		if (now_ns() >= next_kill) {
			stuck = kill_producer(rnd(&st) % nprod);
			next_kill = now_ns() + (rnd(&st) % 1000) * MS;
		}
	}

	/* First nobody sends, then the consumers drain and exit. */
	for (i = 1; i <= 2 && !stuck; i++) {
		sh->phase = i;
		end = now_ns() + END_NS;
		while (!ended(i)) {
			if (now_ns() > end) {
				printf("# still running %d s after the end (phase %d)\n",
				       (int)(END_NS / 1000 / MS), i);
				stuck = 1;
				break;
			}
			signal_all();
			usleep(2000);
		}
	}
	if (stuck) {
		kill_everyone();
		usleep(100000);
		reap_all();
	}

	me = task_new(0);
	if (!me)
		return 1;
	lifetimes = stuck ? 0 : drain_boxes(me, dev) + check_inboxes();
	verify(&v);
	c = sh->count;

	printf("# tasks: %d at most at once; %llu processes started (%llu forked successors and exited, %llu short-lived children), %llu threads\n",
	       sh->tasks_max,
	       (unsigned long long)(c[C_PROCS] + c[C_HANDOVERS] + c[C_CHILDREN]),
	       (unsigned long long)c[C_HANDOVERS],
	       (unsigned long long)c[C_CHILDREN],
	       (unsigned long long)c[C_THREADS]);
	printf("# kills and signals: %llu producers killed (SIGKILL), %llu SIGUSR1, %llu calls interrupted\n",
	       (unsigned long long)c[C_KILLS],
	       (unsigned long long)c[C_SIGNALS],
	       (unsigned long long)c[C_EINTR]);
	printf("# mailboxes: %llu created and %llu destroyed by the test, %llu opens by name and %llu by id, %llu closes, %llu private and scratch mailboxes; inboxes: %llu ended by their owner's exit\n",
	       (unsigned long long)c[C_CREATES],
	       (unsigned long long)c[C_DESTROYS],
	       (unsigned long long)c[C_OPENS],
	       (unsigned long long)c[C_OPENS_ID],
	       (unsigned long long)c[C_CLOSES],
	       (unsigned long long)c[C_SCRATCH],
	       (unsigned long long)c[C_OWNER_EXITS]);
	printf("# calls: %llu untimed sends (%llu by write), %llu untimed receives (%llu by read), %llu receives into read-only memory (EFAULT), %llu send-and-receive (msg_call), %llu polls, %llu timed out, %llu EAGAIN, %llu EIDRM, %llu ESRCH, %llu ENOBUFS\n",
	       (unsigned long long)c[C_UNTIMED_SEND],
	       (unsigned long long)c[C_WRITES],
	       (unsigned long long)c[C_UNTIMED_RECV],
	       (unsigned long long)c[C_READS],
	       (unsigned long long)c[C_FAULTS],
	       (unsigned long long)c[C_CALL],
	       (unsigned long long)c[C_POLLS],
	       (unsigned long long)c[C_ETIMEDOUT],
	       (unsigned long long)c[C_EAGAIN],
	       (unsigned long long)c[C_EIDRM],
	       (unsigned long long)c[C_ESRCH],
	       (unsigned long long)c[C_ENOBUFS]);
	printf("# messages: %llu sent, %llu received (%llu of them drained at the end), %llu lost by destroy, %llu lost by exit, %llu lost otherwise; cut by SIGKILL: %llu delivered, %llu not; %llu local\n",
	       (unsigned long long)v.sent,
	       (unsigned long long)(c[C_RECEIVED] + c[C_DRAINED]),
	       (unsigned long long)c[C_DRAINED],
	       (unsigned long long)v.lost_destroy,
	       (unsigned long long)v.lost_exit,
	       (unsigned long long)v.lost,
	       (unsigned long long)v.cut_delivered,
	       (unsigned long long)v.cut_lost,
	       (unsigned long long)c[C_LOCAL]);
	if (c[C_SATURATED])
		printf("# %llu sends skipped: a sender used up its %d sequence numbers on a channel\n",
		       (unsigned long long)c[C_SATURATED], SEQ_MAX);
	for (i = 0; i < (int)sh->nreports && i < MAX_REPORTS; i++)
		printf("# %s\n", sh->report[i]);

	printf("%sok 1 every task exited cleanly, no call failed unexpectedly (%d, %llu%s)\n",
	       bad_exit || c[C_UNEXPECTED] || stuck ? "not " : "", bad_exit,
	       (unsigned long long)c[C_UNEXPECTED], stuck ? ", stuck" : "");
	printf("%sok 2 nothing corrupted, nothing from a failed send (%llu, %llu, %llu unresolved)\n",
	       c[C_CORRUPT] || v.phantom || v.unresolved ? "not " : "",
	       (unsigned long long)c[C_CORRUPT],
	       (unsigned long long)v.phantom,
	       (unsigned long long)v.unresolved);
	printf("%sok 3 nothing duplicated (%llu)\n", v.dup ? "not " : "",
	       (unsigned long long)v.dup);
	printf("%sok 4 per-sender order kept on every mailbox and link (%llu; %llu behind a message a failed receive put back)\n",
	       c[C_MISORDERED] ? "not " : "",
	       (unsigned long long)c[C_MISORDERED],
	       (unsigned long long)c[C_REORDERED]);
	printf("%sok 5 nothing lost: every successful send received or freed by the test's destroy or exit (%llu missing, %llu not the last, %llu over a limit; %llu not the last behind a receive that faulted)\n",
	       v.lost || v.lost_not_tail || v.lost_over ? "not " : "",
	       (unsigned long long)v.lost,
	       (unsigned long long)v.lost_not_tail,
	       (unsigned long long)v.lost_over,
	       (unsigned long long)v.lost_behind_fault);
	printf("%sok 6 mailbox and inbox lifetimes as the test made them (%d)\n",
	       lifetimes || stuck ? "not " : "", lifetimes);
	/* The checks above hold trivially for a run where nothing went. */
	idle = !v.sent || !c[C_RECEIVED] || !c[C_WRITES] || !c[C_READS] ||
	       !c[C_CALL];
	printf("%sok 7 messages went every way: sent and received, by write and read, by msg_call (%llu, %llu, %llu, %llu, %llu)\n",
	       idle ? "not " : "", (unsigned long long)v.sent,
	       (unsigned long long)c[C_RECEIVED],
	       (unsigned long long)c[C_WRITES],
	       (unsigned long long)c[C_READS],
	       (unsigned long long)c[C_CALL]);
	return bad_exit || c[C_UNEXPECTED] || stuck || c[C_CORRUPT] ||
	       v.phantom || v.unresolved || v.dup || c[C_MISORDERED] ||
	       v.lost || v.lost_not_tail || v.lost_over || lifetimes || idle;
}
