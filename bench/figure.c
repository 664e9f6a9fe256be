// SPDX-License-Identifier: GPL-2.0
/*
 * Figures: batches, medians, calibration, and the "fig," lines that carry
 * them out of the VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run.h"

struct settings cfg = {
	.batches = 7,
	.batch_ns = 50 * 1000 * 1000,
	.seed = 1,
	.ncpus = 1,
};

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

int pin_to(int pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof(set), &set) ? -errno : 0;
}

/* Any vCPU again (forked children inherit the mask). */
int unpin(void)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < cfg.ncpus && cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

void figure_add(struct figure *f, double v)
{
	if (f->n < MAX_BATCHES)
		f->val[f->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * fig,WORKLOAD,VARIANT,MECH,SIZE,DEPTH,METRIC,MEDIAN,MIN,MAX,BATCHES
 * A figure is sane when it has its batches and every value is finite and
 * positive (a count of context switches may be 0); print_figure() says so
 * in its return value (0 or -ERANGE).
 */
int print_figure(struct figure *f)
{
	double med;
	unsigned int i;
	bool sane = f->n > 0;

	qsort(f->val, f->n, sizeof(f->val[0]), cmp_double);
	/* Context switch counts may be 0 (a side that never slept). */
	for (i = 0; i < f->n; i++)
		if (!(f->val[i] < 1e18 && (f->val[i] > 0 ||
		      (f->val[i] == 0 && !strncmp(f->metric, "csw", 3)))))
			sane = false;
	med = f->n ? (f->n % 2 ? f->val[f->n / 2] :
		      (f->val[f->n / 2 - 1] + f->val[f->n / 2]) / 2) : 0;
	printf("fig,%s,%s,%s,%llu,%ld,%s,%.6g,%.6g,%.6g,%u\n", f->workload,
	       f->variant, f->mech, (unsigned long long)f->size, f->depth,
	       f->metric, med, f->n ? f->val[0] : 0,
	       f->n ? f->val[f->n - 1] : 0, f->n);
	fflush(stdout);
	return sane ? 0 : -ERANGE;
}

/* A figure a mechanism cannot produce (a size over its limits). */
void print_skip(const struct figure *f, int err)
{
	printf("skip,%s,%s,%s,%llu,%ld,%s\n", f->workload, f->variant,
	       f->mech, (unsigned long long)f->size, f->depth, strerror(-err));
	fflush(stdout);
}

/* -m: is @m in the comma-separated list (all are without one)? */
bool mech_selected(const struct mech *m)
{
	const char *p = cfg.mechs;
	size_t n = strlen(m->name);

	if (!p)
		return true;
	for (; (p = strstr(p, m->name)); p += n)
		if ((p == cfg.mechs || p[-1] == ',') &&
		    (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* Fisher-Yates with the run's seed: mechanisms run in a shuffled order. */
void shuffle(const struct mech **m, int n)
{
	int i, j;
	const struct mech *t;

	for (i = n - 1; i > 0; i--) {
		j = rand_r(&cfg.seed) % (i + 1);
		t = m[i];
		m[i] = m[j];
		m[j] = t;
	}
}

/**
 * calibrate() - how many operations make a batch of cfg.batch_ns
 * @run:	runs a batch of n operations, returns its ns or -errno
 * @arg:	for @run
 * @n_max:	never more than this many (memory bounds)
 *
 * Return: n, or a negative errno from @run.
 */
long calibrate(batch_fn run, void *arg, long n_max)
{
	long n = 1;
	int64_t t;

	for (;;) {
		t = run(n, arg);
		if (t < 0)
			return t;
		if (t >= cfg.batch_ns || n >= n_max)
			return n;
		/* Aim 20% past the goal, at most 16 times more per step. */
		if (t < cfg.batch_ns / 16)
			n *= 16;
		else
			n = n * cfg.batch_ns * 6 / 5 / t + 1;
		if (n > n_max)
			n = n_max;
	}
}

static unsigned int tap_n, failures;

/*
 * The outcome of one figure: its line, and in quick mode (make check) a
 * TAP result: ok when it ran and is sane, skipped when the mechanism
 * cannot do it (-EOPNOTSUPP), not ok otherwise.
 */
void record(struct figure *f, int err)
{
	if (!err)
		err = print_figure(f);
	else if (err == -EOPNOTSUPP)
		print_skip(f, err);
	else
		printf("err,%s,%s,%s,%llu,%ld,%s,%s\n", f->workload,
		       f->variant, f->mech, (unsigned long long)f->size,
		       f->depth, f->metric, strerror(-err));
	if (err && err != -EOPNOTSUPP)
		failures++;
	if (!cfg.quick)
		return;
	printf("%sok %u %s %s %s %llu %ld %s", err && err != -EOPNOTSUPP ?
	       "not " : "", ++tap_n, f->workload, f->variant, f->mech,
	       (unsigned long long)f->size, f->depth, f->metric);
	if (err == -EOPNOTSUPP)
		printf(" # SKIP %s", strerror(-err));
	else if (err)
		printf(" # %s", strerror(-err));
	printf("\n");
	fflush(stdout);
}

unsigned int record_failures(void)
{
	return failures;
}

unsigned int record_count(void)
{
	return tap_n;
}
