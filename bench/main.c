// SPDX-License-Identifier: GPL-2.0
/*
 * mbxbench: /dev/mailbox against pipes, Unix sockets, POSIX and System V
 * message queues, eventfd and futex over shared memory, and
 * process_vm_readv(), in one boot.
 *
 *   mbxbench [-q] [-s SEED] [-w W1,W2,BW,W3,W4,MEM,W5] [-m MECH,...]
 *	in the VM: every workload, figures as "fig," CSV lines on stdout;
 *	-q is make check's quick pass (one short batch per figure, TAP);
 *   mbxbench -r OUTDIR BOOT.csv...
 *	on the host: the table over several boots (report.c).
 *
 * See README.md, "Performance", for what is measured and how.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "run.h"

#define PARAM_QUOTA	"/sys/module/mbx/parameters/user_bytes_max"

static const struct {
	const char *name;
	int (*run)(void);
} workloads[] = {
	{ "W1", run_pingpong },
	{ "W2", run_stream },
	{ "BW", run_bandwidth },
	{ "W3", run_fan },
	{ "W4", run_scale },
	{ "MEM", run_memory },
	{ "W5", run_eagain },
};

#define NR_WORKLOADS	(sizeof(workloads) / sizeof(workloads[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mbxbench [-q] [-s SEED] [-w WORKLOAD,...] [-m MECH,...]\n"
		"       mbxbench -r OUTDIR BOOT.csv...\n"
		"  -q   quick pass for make check: one short batch per figure, TAP\n"
		"  -s   seed for the order of mechanisms (default: time)\n"
		"  -w   only these workloads: W1 W2 BW W3 W4 MEM W5\n"
		"  -m   only these mechanisms of W1, W2, BW: mbx_direct mbx_bounded\n"
		"       mbx_zero mbx_rw pipe seqpacket dgram posix_mq sysv_msg\n"
		"       eventfd_shm futex_shm process_vm_readv\n"
		"  -r   host side: aggregate boots into OUTDIR/results.{csv,json}\n");
}

/* Read or write a module parameter; -1 when it cannot. */
static long long param(const char *path, long long set)
{
	long long v = -1;
	FILE *f = fopen(path, set < 0 ? "r" : "w");

	if (!f)
		return -1;
	if (set < 0) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
	} else {
		v = fprintf(f, "%lld\n", set) > 0 ? set : -1;
	}
	return fclose(f) ? -1 : v;
}

int main(int argc, char **argv)
{
	const char *only = NULL, *outdir = NULL;
	long long quota;
	struct utsname u;
	unsigned int i;
	int opt, err;

	cfg.seed = (unsigned int)now_ns();
	while ((opt = getopt(argc, argv, "qs:w:m:r:h")) != -1) {
		switch (opt) {
		case 'q':
			cfg.quick = true;
			break;
		case 's':
			cfg.seed = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			only = optarg;
			break;
		case 'm':
			cfg.mechs = optarg;
			break;
		case 'r':
			outdir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (outdir)
		return report(argc - optind, argv + optind, outdir) ? 1 : 0;
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	if (cfg.quick) {
		/*
		 * Five ticks at HZ=250: a kernel whose clocksource is the
		 * jiffies counter (a tinyconfig kernel without HPET) still
		 * times a batch as more than 0.
		 */
		cfg.batches = 1;
		cfg.batch_ns = 20 * 1000 * 1000;
	}
	cfg.ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* A child that failed closes its pipes: EPIPE, not death. */
	signal(SIGPIPE, SIG_IGN);
	/* A hung mechanism must not hang the VM until its timeout. */
	alarm(cfg.quick ? 600 : 3600);
	uname(&u);
	printf("info,kernel,%s\ninfo,ncpus,%d\ninfo,seed,%u\n"
	       "info,batches,%u\ninfo,batch_ms,%lld\n", u.release, cfg.ncpus,
	       cfg.seed, cfg.batches, (long long)(cfg.batch_ns / 1000000));

	/*
	 * Unbounded streams queue up to a whole batch: give root's quota
	 * room for it (the quick pass stays within the default).
	 */
	quota = param(PARAM_QUOTA, -1);
	if (!cfg.quick && quota >= 0 && quota < 512LL << 20)
		param(PARAM_QUOTA, 512LL << 20);

	for (i = 0; i < NR_WORKLOADS; i++) {
		if (only && !strstr(only, workloads[i].name))
			continue;
		printf("info,workload,%s\n", workloads[i].name);
		fflush(stdout);
		err = workloads[i].run();
		if (err) {
			struct figure f = {
				.workload = workloads[i].name, .variant = "-",
				.mech = "setup", .depth = -1, .metric = "-",
			};

			record(&f, err == -EOPNOTSUPP ? -EIO : err);
		}
	}

	if (!cfg.quick && quota >= 0)
		param(PARAM_QUOTA, quota);
	if (cfg.quick)
		printf("1..%u\n", record_count());
	printf("info,done,%u failures\n", record_failures());
	return record_failures() ? 1 : 0;
}
