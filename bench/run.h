/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbxbench's driver: timing, batches, figures and their output.
 */
#ifndef MBXBENCH_RUN_H
#define MBXBENCH_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"

#define NSEC_PER_SEC	1000000000LL
#define MAX_BATCHES	15
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* How hard to measure: the full run, or make check's quick pass. */
struct settings {
	bool quick;
	unsigned int batches;	/* per figure (7) */
	int64_t batch_ns;	/* shortest batch (50 ms) */
	unsigned int seed;	/* shuffles the order of mechanisms */
	int ncpus;		/* online vCPUs: cross-vCPU needs 2 */
	const char *mechs;	/* only these mechanisms (-m), or NULL */
};

bool mech_selected(const struct mech *m);

extern struct settings cfg;

/*
 * A figure: one number (the median of cfg.batches batches) for one
 * mechanism in one configuration.  Printed as a "fig," CSV line (see
 * print_figure()); report.c reads those lines back.
 */
struct figure {
	const char *workload;	/* W1..W5, BW, MEM */
	const char *variant;	/* same (one vCPU), cross, any, - */
	const char *mech;
	uint64_t size;		/* message size, or mailbox count (W4) */
	long depth;		/* queue depth, -1 for none, 0 unbounded */
	const char *metric;	/* rtt_ns, msgs_per_s, MB_per_s, ... */
	unsigned int n;
	double val[MAX_BATCHES];
};

int64_t now_ns(void);
void figure_add(struct figure *f, double v);
int print_figure(struct figure *f);
void print_skip(const struct figure *f, int err);
void record(struct figure *f, int err);
unsigned int record_failures(void);
unsigned int record_count(void);
void shuffle(const struct mech **m, int n);
int pin_to(int pid, int cpu);
int unpin(void);

/* A calibrated batch loop: calls @run(n, arg) with n ops and returns its
 * duration in ns; grows n until a batch lasts cfg.batch_ns.
 */
typedef int64_t (*batch_fn)(long n, void *arg);
long calibrate(batch_fn run, void *arg, long n_max);

/* pair.c: two processes over one mechanism */
enum pair_op { OP_PINGPONG, OP_STREAM, OP_PULL, OP_QUIT };

struct pair {
	const struct mech *m;
	struct chan c;
	int child;
	int cmd_fd;		/* parent -> child commands */
	int ack_fd;		/* child -> parent: ready, done, errors */
	char *buf;
};

int pair_start(struct pair *p, const struct mech *m, size_t max_len,
	       unsigned int depth, int cpu0, int cpu1);
int64_t pair_run(struct pair *p, enum pair_op op, long n, size_t len);
void pair_stop(struct pair *p);

/* Workloads. */
int run_pingpong(void);		/* W1 */
int run_stream(void);		/* W2 */
int run_bandwidth(void);	/* BW */
int run_fan(void);		/* W3 */
int run_scale(void);		/* W4 */
int run_memory(void);		/* W4: kernel memory */
int run_eagain(void);		/* W5 */

/* report.c: the host side */
int report(int nfiles, char **files, const char *outdir);

#endif /* MBXBENCH_RUN_H */
