// SPDX-License-Identifier: GPL-2.0
/*
 * The two-process workloads:
 *  W1	round trip (ping-pong): ns per round trip, both ends on one vCPU
 *	(latency) and on two (cross);
 *  W2	one-way streaming at queue depth 1, 64 and unbounded: messages/s
 *	and MB/s, producer and consumer on two vCPUs;
 *  BW	bandwidth of large messages: /dev/mailbox's zero-capacity stream
 *	(one copy per message) against process_vm_readv() (one copy, no
 *	synchronisation at all) and a pipe.
 * Each figure is cfg.batches calibrated batches; within a configuration
 * the mechanisms' batches are interleaved, in a shuffled order
 * (measure_set()).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

#include "run.h"

#define KIB		1024UL
#define MIB		(1024UL * 1024)
/* Streams may queue a whole batch: bound what one batch can pin. */
#define STREAM_BYTES	(128 * MIB)
/* Mechanisms in one configuration, at most. */
#define MAX_MECHS	16

struct batch_arg {
	struct pair *p;
	enum pair_op op;
	size_t len;
};

static int64_t pair_batch(long n, void *arg)
{
	struct batch_arg *a = arg;

	return pair_run(a->p, a->op, n, a->len);
}

/* Per-batch value of a metric from a batch of @n ops of @len in @ns. */
static double metric_value(const char *metric, long n, size_t len, int64_t ns)
{
	switch (metric[0]) {
	case 'r':	/* rtt_ns */
		return (double)ns / n;
	case 'c':	/* csw_per_rt: set by slot_batch() */
		return 0;
	case 'm':	/* msgs_per_s */
		return n * 1e9 / ns;
	default:	/* MB_per_s */
		return (double)n * len * 1e3 / ns;
	}
}

static long csw_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* One mechanism's part of a configuration: its pair and its figures. */
struct slot {
	const struct mech *m;
	struct pair p;
	struct batch_arg a;
	struct figure f[2];
	unsigned int nm;
	long n;			/* ops per batch, calibrated */
	int started;		/* pair_start() succeeded */
	int err;
};

static void slot_batch(struct slot *sl)
{
	int64_t t;
	long csw;
	unsigned int i;

	csw = csw_self();
	t = pair_run(&sl->p, sl->a.op, sl->n, sl->a.len);
	if (t < 0) {
		sl->err = t;
		return;
	}
	csw = csw_self() - csw;
	for (i = 0; i < sl->nm; i++)
		figure_add(&sl->f[i], sl->f[i].metric[0] == 'c' ?
			   (double)csw / sl->n :
			   metric_value(sl->f[i].metric, sl->n, sl->a.len, t));
}

/*
 * One configuration of a two-process workload, for @count mechanisms at
 * once: every pair is started and calibrated, then the batches are
 * interleaved, batch b of every mechanism (in the shuffled order) before
 * batch b + 1 of any.  A host that slows down for a while then slows
 * every mechanism's batches alike instead of all of one mechanism's, so
 * the ratios within a boot hold.  Every metric in @metrics
 * (NULL-terminated) comes from the same batches.  @op and @depth give
 * each mechanism's operation and queue depth (-1: none).
 */
static void measure_set(const struct mech *const *m, int count,
			const char *workload, const char *variant, int cpu0,
			int cpu1, const enum pair_op *op, size_t len,
			const long *depth, const char *const *metrics)
{
	struct slot sl[MAX_MECHS] = {};
	long n_max;
	unsigned int b, j;
	int i;

	for (i = 0; i < count; i++) {
		sl[i].m = m[i];
		for (j = 0; metrics[j] && j < ARRAY_SIZE(sl[i].f); j++) {
			sl[i].f[j].workload = workload;
			sl[i].f[j].variant = variant;
			sl[i].f[j].mech = m[i]->name;
			sl[i].f[j].size = len;
			sl[i].f[j].depth = depth[i];
			sl[i].f[j].metric = metrics[j];
			sl[i].nm++;
		}
		sl[i].a = (struct batch_arg){ .op = op[i], .len = len };
		sl[i].err = pair_start(&sl[i].p, m[i], len,
				       depth[i] < 0 ? 1 : depth[i], cpu0, cpu1);
		if (sl[i].err)
			continue;
		sl[i].started = 1;
		sl[i].a.p = &sl[i].p;
		n_max = 10 * 1000 * 1000;
		if (op[i] != OP_PINGPONG)
			n_max = (cfg.quick ? STREAM_BYTES / 8 : STREAM_BYTES) /
				len;
		sl[i].n = calibrate(pair_batch, &sl[i].a, n_max);
		if (sl[i].n < 0)
			sl[i].err = sl[i].n;
	}
	for (b = 0; b < cfg.batches; b++)
		for (i = 0; i < count; i++)
			if (!sl[i].err)
				slot_batch(&sl[i]);
	for (i = 0; i < count; i++) {
		if (sl[i].started)
			pair_stop(&sl[i].p);
		for (j = 0; j < sl[i].nm; j++)
			record(&sl[i].f[j], sl[i].err);
	}
}

static const struct mech *const twoway_mechs[] = {
	&mech_mbx_direct, &mech_mbx_bounded, &mech_mbx_zero, &mech_mbx_rw,
	&mech_pipe, &mech_seqpacket, &mech_dgram, &mech_posix_mq,
	&mech_sysv_msg, &mech_eventfd_shm, &mech_futex_shm,
};

static int pick(const struct mech **out, unsigned int flags)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(twoway_mechs); i++)
		if ((twoway_mechs[i]->flags & flags) &&
		    mech_selected(twoway_mechs[i]))
			out[n++] = twoway_mechs[i];
	shuffle(out, n);
	return n;
}

struct variant {
	const char *name;
	int cpu0, cpu1;
};

static const struct variant variants[] = {
	{ "same", 0, 0 },	/* latency: both ends on one vCPU */
	{ "cross", 0, 1 },
};

int run_pingpong(void)
{
	static const size_t full[] = { 8, 64, 4 * KIB, 64 * KIB, MIB };
	static const size_t quick[] = { 64, 64 * KIB };
	/* Context switches of one side per round trip: 1 is the floor. */
	static const char *const metrics[] = { "rtt_ns", "csw_per_rt", NULL };
	const struct mech *m[ARRAY_SIZE(twoway_mechs)];
	const size_t *sizes = cfg.quick ? quick : full;
	unsigned int ns = cfg.quick ? ARRAY_SIZE(quick) : ARRAY_SIZE(full);
	enum pair_op op[ARRAY_SIZE(twoway_mechs)];
	long depth[ARRAY_SIZE(twoway_mechs)];
	unsigned int v, s;
	int i, n;

	for (v = 0; v < ARRAY_SIZE(variants); v++) {
		if (variants[v].cpu1 >= cfg.ncpus)
			continue;
		for (s = 0; s < ns; s++) {
			n = pick(m, MECH_PINGPONG);
			for (i = 0; i < n; i++) {
				op[i] = OP_PINGPONG;
				depth[i] = 1;
			}
			measure_set(m, n, "W1", variants[v].name,
				    variants[v].cpu0, variants[v].cpu1, op,
				    sizes[s], depth, metrics);
		}
	}
	return 0;
}

int run_stream(void)
{
	static const size_t full[] = { 64, 4 * KIB, 64 * KIB };
	static const size_t quick[] = { 4 * KIB };
	static const long depths[] = { 1, 64, DEPTH_UNBOUNDED };
	static const char *const metrics[] = { "msgs_per_s", "MB_per_s", NULL };
	const struct mech *m[ARRAY_SIZE(twoway_mechs)];
	const size_t *sizes = cfg.quick ? quick : full;
	unsigned int ns = cfg.quick ? ARRAY_SIZE(quick) : ARRAY_SIZE(full);
	int cpu1 = cfg.ncpus > 1 ? 1 : 0;
	const char *variant = cpu1 ? "cross" : "same";
	enum pair_op op[ARRAY_SIZE(twoway_mechs)];
	long depth[ARRAY_SIZE(twoway_mechs)];
	unsigned int s, d;
	int i, n;

	for (s = 0; s < ns; s++) {
		for (d = 0; d < ARRAY_SIZE(depths); d++) {
			n = pick(m, MECH_STREAM);
			for (i = 0; i < n; i++) {
				op[i] = OP_STREAM;
				depth[i] = depths[d];
			}
			measure_set(m, n, "W2", variant, 0, cpu1, op, sizes[s],
				    depth, metrics);
		}
	}
	return 0;
}

/*
 * Bandwidth: every /dev/mailbox mode streams (a zero-capacity mailbox one
 * message at a time, single copy; a bounded mailbox and an inbox 64 deep,
 * producer and consumer copying in parallel on two vCPUs), against the
 * single copy of process_vm_readv() and a pipe 64 messages deep.
 */
int run_bandwidth(void)
{
	static const size_t full[] = { 64 * KIB, 256 * KIB, MIB };
	static const size_t quick[] = { MIB };
	static const char *const metrics[] = { "MB_per_s", NULL };
	const size_t *sizes = cfg.quick ? quick : full;
	unsigned int ns = cfg.quick ? ARRAY_SIZE(quick) : ARRAY_SIZE(full);
	int cpu1 = cfg.ncpus > 1 ? 1 : 0;
	const char *variant = cpu1 ? "cross" : "same";
	const struct mech *m[] = {
		&mech_mbx_zero, &mech_mbx_bounded, &mech_mbx_direct,
		&mech_vm_readv, &mech_pipe,
	};
	const struct mech *sel[ARRAY_SIZE(m)];
	enum pair_op op[ARRAY_SIZE(m)];
	long depth[ARRAY_SIZE(m)];
	unsigned int s, i;
	int n;

	for (s = 0; s < ns; s++) {
		shuffle(m, ARRAY_SIZE(m));
		for (i = 0, n = 0; i < ARRAY_SIZE(m); i++) {
			if (!mech_selected(m[i]))
				continue;
			sel[n] = m[i];
			op[n] = m[i]->flags & MECH_PULL ? OP_PULL : OP_STREAM;
			depth[n] = m[i] == &mech_mbx_zero ||
				   m[i] == &mech_vm_readv ? 1 : 64;
			n++;
		}
		measure_set(sel, n, "BW", variant, 0, cpu1, op, sizes[s],
			    depth, metrics);
	}
	return 0;
}
