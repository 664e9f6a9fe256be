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
 * Each figure is cfg.batches calibrated batches; mechanisms run in a
 * shuffled order within each configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

#include "run.h"

#define KIB		1024UL
#define MIB		(1024UL * 1024)
/* Streams may queue a whole batch: bound what one batch can pin. */
#define STREAM_BYTES	(128 * MIB)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

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
	case 'c':	/* csw_per_rt: set by measure() */
		return 0;
	case 'm':	/* msgs_per_s */
		return n * 1e9 / ns;
	default:	/* MB_per_s */
		return (double)n * len * 1e3 / ns;
	}
}

/*
 * One configuration of a two-process workload: every metric in
 * @metrics (NULL-terminated) comes from the same batches.
 */
static long csw_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static void measure(const struct mech *m, const char *workload,
		    const char *variant, int cpu0, int cpu1, enum pair_op op,
		    size_t len, long depth, const char *const *metrics)
{
	struct figure f[2] = {};
	long csw;
	struct batch_arg a = { .op = op, .len = len };
	struct pair p;
	long n, n_max = 10 * 1000 * 1000;
	unsigned int b, i, nm = 0;
	int64_t t = 0;
	int err;

	for (i = 0; metrics[i] && i < ARRAY_SIZE(f); i++, nm++) {
		f[i].workload = workload;
		f[i].variant = variant;
		f[i].mech = m->name;
		f[i].size = len;
		f[i].depth = depth;
		f[i].metric = metrics[i];
	}
	if (op != OP_PINGPONG)
		n_max = (cfg.quick ? STREAM_BYTES / 8 : STREAM_BYTES) / len;
	err = pair_start(&p, m, len, depth < 0 ? 1 : depth, cpu0, cpu1);
	if (err)
		goto out;
	a.p = &p;
	n = calibrate(pair_batch, &a, n_max);
	if (n < 0)
		err = n;
	for (b = 0; !err && b < cfg.batches; b++) {
		csw = csw_self();
		t = pair_run(&p, op, n, len);
		if (t < 0) {
			err = t;
			break;
		}
		csw = csw_self() - csw;
		for (i = 0; i < nm; i++)
			figure_add(&f[i], f[i].metric[0] == 'c' ?
				   (double)csw / n :
				   metric_value(f[i].metric, n, len, t));
	}
	pair_stop(&p);
out:
	for (i = 0; i < nm; i++)
		record(&f[i], err);
}

static const struct mech *const twoway_mechs[] = {
	&mech_mbx_direct, &mech_mbx_bounded, &mech_mbx_zero,
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
	unsigned int v, s;
	int i, n;

	for (v = 0; v < ARRAY_SIZE(variants); v++) {
		if (variants[v].cpu1 >= cfg.ncpus)
			continue;
		for (s = 0; s < ns; s++) {
			n = pick(m, MECH_PINGPONG);
			for (i = 0; i < n; i++)
				measure(m[i], "W1", variants[v].name,
					variants[v].cpu0, variants[v].cpu1,
					OP_PINGPONG, sizes[s], 1, metrics);
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
	unsigned int s, d;
	int i, n;

	for (s = 0; s < ns; s++) {
		for (d = 0; d < ARRAY_SIZE(depths); d++) {
			n = pick(m, MECH_STREAM);
			for (i = 0; i < n; i++)
				measure(m[i], "W2", variant, 0, cpu1,
					OP_STREAM, sizes[s], depths[d],
					metrics);
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
	unsigned int s, i;

	for (s = 0; s < ns; s++) {
		shuffle(m, ARRAY_SIZE(m));
		for (i = 0; i < ARRAY_SIZE(m); i++)
			if (mech_selected(m[i]))
				measure(m[i], "BW", variant, 0, cpu1,
					m[i]->flags & MECH_PULL ? OP_PULL :
					OP_STREAM, sizes[s],
					m[i] == &mech_mbx_zero ||
					m[i] == &mech_vm_readv ? 1 : 64,
					metrics);
	}
	return 0;
}
