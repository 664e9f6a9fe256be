// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of mbxbench: read the "fig," lines of several boots, and
 * print one table of absolute figures (median over boots of each boot's
 * median) and of ratios of each /dev/mailbox figure to each baseline
 * (median over boots of the per-boot ratio: ratios within one boot are
 * what TCG makes meaningful), then the targets, met or missed.
 * Writes the same as OUTDIR/results.csv and OUTDIR/results.json.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define MAX_BOOTS	32
#define MAX_FIGS	1024
#define MAX_TARGETS	64

struct fig {
	char workload[8], variant[16], mech[24], metric[24];
	unsigned long long size;
	long depth;
	double boot[MAX_BOOTS];		/* NAN: not in that boot */
	double spread[MAX_BOOTS];	/* (max - min) / median in the boot */
};

struct target {
	char what[96];
	double value;			/* median over boots */
	double goal;
	int at_most;			/* value <= goal, else >= */
	int boots;
};

static struct fig figs[MAX_FIGS];
static int nfigs, nboots;
static struct target targets[MAX_TARGETS];
static int ntargets;
/* Figures printed next to the targets to read them by: no goal. */
static struct target refs[MAX_TARGETS];
static int nrefs;
static char meta_kernel[64];

static struct fig *find(const char *w, const char *v, const char *m,
			unsigned long long size, long depth, const char *metric,
			int create)
{
	int i, b;

	for (i = 0; i < nfigs; i++)
		if (!strcmp(figs[i].workload, w) &&
		    !strcmp(figs[i].variant, v) && !strcmp(figs[i].mech, m) &&
		    figs[i].size == size && figs[i].depth == depth &&
		    !strcmp(figs[i].metric, metric))
			return &figs[i];
	if (!create || nfigs == MAX_FIGS)
		return NULL;
	struct fig *f = &figs[nfigs++];

	snprintf(f->workload, sizeof(f->workload), "%s", w);
	snprintf(f->variant, sizeof(f->variant), "%s", v);
	snprintf(f->mech, sizeof(f->mech), "%s", m);
	snprintf(f->metric, sizeof(f->metric), "%s", metric);
	f->size = size;
	f->depth = depth;
	for (b = 0; b < MAX_BOOTS; b++)
		f->boot[b] = f->spread[b] = NAN;
	return f;
}

static int load(const char *path, int boot)
{
	char line[512], w[8], v[16], m[24], metric[24];
	unsigned long long size;
	double med, min, max;
	long depth;
	int n = 0;
	FILE *in = fopen(path, "r");

	if (!in)
		return -errno;
	while (fgets(line, sizeof(line), in)) {
		struct fig *f;

		if (!strncmp(line, "info,kernel,", 12) && !meta_kernel[0]) {
			sscanf(line + 12, "%63[^,\r\n]", meta_kernel);
		}
		if (sscanf(line, "fig,%7[^,],%15[^,],%23[^,],%llu,%ld,%23[^,],%lf,%lf,%lf",
			   w, v, m, &size, &depth, metric, &med, &min, &max) != 9)
			continue;
		f = find(w, v, m, size, depth, metric, 1);
		if (!f)
			break;
		f->boot[boot] = med;
		f->spread[boot] = med > 0 ? (max - min) / med : NAN;
		n++;
	}
	fclose(in);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of the non-NAN values; NAN if none. */
static double median(const double *v, int n, int *count)
{
	double s[MAX_BOOTS];
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			s[k++] = v[i];
	if (count)
		*count = k;
	if (!k)
		return NAN;
	qsort(s, k, sizeof(s[0]), cmp_double);
	return k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
}

static int is_mbx(const char *mech)
{
	return !strncmp(mech, "mbx", 3);
}

/* Per-boot ratio a/b of two figures, into @r. */
static void ratios(const struct fig *a, const struct fig *b, double *r)
{
	int i;

	for (i = 0; i < nboots; i++)
		r[i] = a->boot[i] / b->boot[i];
}

/* A new entry of @list (targets or refs): the median of @per_boot. */
static struct target *add_entry(struct target *list, int *n, const char *what,
				const double *per_boot)
{
	struct target *t;

	if (*n == MAX_TARGETS)
		return NULL;
	t = &list[(*n)++];
	snprintf(t->what, sizeof(t->what), "%s", what);
	t->value = median(per_boot, nboots, &t->boots);
	return t;
}

static void add_target(const char *what, const double *per_boot, double goal,
		       int at_most)
{
	struct target *t = add_entry(targets, &ntargets, what, per_boot);

	if (t) {
		t->goal = goal;
		t->at_most = at_most;
	}
}

static void add_reference(const char *what, const double *per_boot)
{
	add_entry(refs, &nrefs, what, per_boot);
}

static int target_met(const struct target *t)
{
	if (isnan(t->value))
		return 0;
	return t->at_most ? t->value <= t->goal : t->value >= t->goal;
}

/* mbx / baseline for one figure pair, as a target. */
static void ratio_target(const char *w, const char *v, const char *m,
			 const char *base, unsigned long long size, long depth,
			 const char *metric, double goal, int at_most)
{
	struct fig *a = find(w, v, m, size, depth, metric, 0);
	struct fig *b = find(w, v, base, size, depth, metric, 0);
	double r[MAX_BOOTS];
	char what[96];
	int i;

	for (i = 0; i < nboots; i++)
		r[i] = NAN;
	if (a && b)
		ratios(a, b, r);
	snprintf(what, sizeof(what), "%s %s %lluB %s / %s", w, v, size, m,
		 base);
	add_target(what, r, goal, at_most);
}

static void compute_targets(void)
{
	static const char *const small_mechs[] = { "mbx_direct", "mbx_bounded",
						   "mbx_rw" };
	static const char *const stream_base[] = { "pipe", "seqpacket",
						   "posix_mq" };
	static const char *const w4_ops[] = { "create_destroy_ns",
					      "open_close_ns", "send_recv_ns" };
	static const unsigned long long bw_sizes[] = { 65536, 262144, 1048576 };
	static const unsigned long long mem_sizes[] = { 64, 4096, 65536 };
	static const long depths[] = { 1, 64, 0 };
	double r[MAX_BOOTS];
	char what[96];
	unsigned int i, j, k;
	int b;

	/* Small-message round trip, on one vCPU. */
	for (i = 0; i < ARRAY_SIZE(small_mechs); i++)
		for (j = 0; j < 2; j++) {
			unsigned long long size = j ? 64 : 8;

			ratio_target("W1", "same", small_mechs[i], "pipe",
				     size, 1, "rtt_ns", 0.9, 1);
			ratio_target("W1", "same", small_mechs[i], "posix_mq",
				     size, 1, "rtt_ns", 1.0, 1);
		}
	ratio_target("W1", "same", "mbx_zero", "pipe", 1048576, 1, "rtt_ns",
		     0.5, 1);
	/*
	 * Bandwidth: the zero-capacity rendezvous (one copy, one message in
	 * flight) on its own, and the best /dev/mailbox mode per boot.
	 */
	for (i = 0; i < 3; i++) {
		static const char *const bw_mechs[] = { "mbx_zero",
							"mbx_bounded",
							"mbx_direct" };
		static const long bw_depth[] = { 1, 64, 64 };
		struct fig *base = find("BW", "cross", "process_vm_readv",
					bw_sizes[i], 1, "MB_per_s", 0);

		ratio_target("BW", "cross", "mbx_zero", "process_vm_readv",
			     bw_sizes[i], 1, "MB_per_s", 0.8, 0);
		for (b = 0; b < nboots; b++) {
			double best = NAN;

			for (j = 0; j < 3; j++) {
				struct fig *f = find("BW", "cross",
						     bw_mechs[j], bw_sizes[i],
						     bw_depth[j], "MB_per_s",
						     0);

				if (f && !isnan(f->boot[b]) &&
				    (isnan(best) || f->boot[b] > best))
					best = f->boot[b];
			}
			r[b] = base ? best / base->boot[b] : NAN;
		}
		snprintf(what, sizeof(what),
			 "BW cross %lluB best mbx mode / process_vm_readv",
			 bw_sizes[i]);
		add_target(what, r, 0.8, 0);
	}

	/* Buffered streaming at 64 KiB against the best baseline. */
	for (i = 0; i < 2; i++)
		for (k = 0; k < 3; k++) {
			struct fig *a = find("W2", "cross", small_mechs[i],
					     65536, depths[k], "MB_per_s", 0);

			for (b = 0; b < nboots; b++) {
				double best = NAN;

				for (j = 0; j < 3; j++) {
					struct fig *f = find("W2", "cross",
							     stream_base[j],
							     65536, depths[k],
							     "MB_per_s", 0);

					if (f && !isnan(f->boot[b]) &&
					    (isnan(best) || f->boot[b] > best))
						best = f->boot[b];
				}
				r[b] = a ? a->boot[b] / best : NAN;
			}
			snprintf(what, sizeof(what),
				 "W2 cross 65536B depth %ld %s / best(pipe,seqpacket,posix_mq)",
				 depths[k], small_mechs[i]);
			add_target(what, r, 1.0, 0);
		}

	/* Fan-in/fan-out. */
	{
		struct fig *a = find("W3", "4x4", "mbx_bounded", 64, 64,
				     "msgs_per_s", 0);
		struct fig *s = find("W3", "1x1", "mbx_bounded", 64, 64,
				     "msgs_per_s", 0);
		struct fig *c = find("W3", "4x4", "mbx_bounded", 64, 64,
				     "csw_per_msg", 0);

		for (b = 0; b < nboots; b++)
			r[b] = a && s ? a->boot[b] / s->boot[b] : NAN;
		add_target("W3 4x4 / 1x1 throughput", r, 0.8, 0);
		for (b = 0; b < nboots; b++)
			r[b] = c ? c->boot[b] : NAN;
		add_target("W3 4x4 context switches per message", r, 1.1, 1);
	}

	/* Scaling with the number of mailboxes. */
	for (i = 0; i < 3; i++) {
		struct fig *many = find("W4", "-", "mbx_bounded", 10000, 1,
					w4_ops[i], 0);
		struct fig *one = find("W4", "-", "mbx_bounded", 1, 1,
				       w4_ops[i], 0);

		for (b = 0; b < nboots; b++)
			r[b] = many && one ? many->boot[b] / one->boot[b] : NAN;
		snprintf(what, sizeof(what), "W4 %s 10000 / 1 mailboxes",
			 w4_ops[i]);
		add_target(what, r, 1.2, 1);
	}
	/* The same send + receive over 10,000 pipes and eventfds. */
	for (i = 0; i < 2; i++) {
		static const char *const w4_base[] = { "pipe", "eventfd" };
		struct fig *many = find("W4", "-", w4_base[i], 10000, 1,
					"send_recv_ns", 0);
		struct fig *one = find("W4", "-", w4_base[i], 1, 1,
				       "send_recv_ns", 0);

		for (b = 0; b < nboots; b++)
			r[b] = many && one ? many->boot[b] / one->boot[b] : NAN;
		snprintf(what, sizeof(what), "W4 send_recv_ns 10000 / 1 %ss",
			 w4_base[i]);
		add_reference(what, r);
	}

	/* Kernel memory. */
	for (i = 0; i < 3; i++) {
		struct fig *m = find("MEM", "-", "mbx", mem_sizes[i], -1,
				     "bytes_per_msg", 0);

		for (b = 0; b < nboots; b++)
			r[b] = m ? m->boot[b] - (double)mem_sizes[i] : NAN;
		snprintf(what, sizeof(what),
			 "MEM overhead per queued %lluB message (bytes)",
			 mem_sizes[i]);
		add_target(what, r, 128, 1);
	}
	{
		struct fig *m = find("MEM", "-", "mbx", 0, -1,
				     "bytes_per_mailbox", 0);

		for (b = 0; b < nboots; b++)
			r[b] = m ? m->boot[b] : NAN;
		add_target("MEM bytes per empty mailbox", r, 1024, 1);
	}
}

static void fmt_value(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.3gk", v / 1e3);
	else
		snprintf(buf, len, "%.3g", v);
}

/*
 * One group (workload, variant, metric): a row per (size, depth), a
 * column per mechanism, then the ratios of each mbx column to each
 * baseline column.
 */
static void print_group(FILE *out, int first)
{
	const struct fig *g = &figs[first];
	const char *mechs[32];
	unsigned long long sizes[64];
	long depths[64];
	int nm = 0, nr = 0, i, j, k, r;
	char v[32];

	for (i = first; i < nfigs; i++) {
		const struct fig *f = &figs[i];

		if (strcmp(f->workload, g->workload) ||
		    strcmp(f->variant, g->variant) ||
		    strcmp(f->metric, g->metric))
			continue;
		for (j = 0; j < nm && strcmp(mechs[j], f->mech); j++)
			;
		if (j == nm && nm < 32)
			mechs[nm++] = f->mech;
		for (j = 0; j < nr && !(sizes[j] == f->size &&
					depths[j] == f->depth); j++)
			;
		if (j == nr && nr < 64) {
			sizes[nr] = f->size;
			depths[nr++] = f->depth;
		}
	}
	fprintf(out, "\n%s %s %s (median over boots)\n", g->workload,
		g->variant, g->metric);
	fprintf(out, "%-8s %5s", "size", "depth");
	for (j = 0; j < nm; j++)
		fprintf(out, " %11.11s", mechs[j]);
	fprintf(out, "\n");
	for (r = 0; r < nr; r++) {
		fprintf(out, "%-8llu %5ld", sizes[r], depths[r]);
		for (j = 0; j < nm; j++) {
			const struct fig *f = find(g->workload, g->variant,
						   mechs[j], sizes[r],
						   depths[r], g->metric, 0);

			fmt_value(v, sizeof(v), f ? median(f->boot, nboots,
							   NULL) : NAN);
			fprintf(out, " %11s", v);
		}
		fprintf(out, "\n");
	}
	/* Ratios: mbx / baseline, median of per-boot ratios. */
	for (i = 0; i < nm; i++) {
		if (!is_mbx(mechs[i]))
			continue;
		for (k = 0; k < nm && is_mbx(mechs[k]); k++)
			;
		if (k == nm)
			continue;
		fprintf(out, "  %s / baseline:\n  %-6s %5s", mechs[i], "size",
			"depth");
		for (k = 0; k < nm; k++)
			if (!is_mbx(mechs[k]))
				fprintf(out, " %11.11s", mechs[k]);
		fprintf(out, "\n");
		for (r = 0; r < nr; r++) {
			const struct fig *a = find(g->workload, g->variant,
						   mechs[i], sizes[r],
						   depths[r], g->metric, 0);

			fprintf(out, "  %-6llu %5ld", sizes[r], depths[r]);
			for (k = 0; k < nm; k++) {
				const struct fig *b;
				double rr[MAX_BOOTS];

				if (is_mbx(mechs[k]))
					continue;
				b = find(g->workload, g->variant, mechs[k],
					 sizes[r], depths[r], g->metric, 0);
				if (a && b) {
					ratios(a, b, rr);
					snprintf(v, sizeof(v), "%.2f",
						 median(rr, nboots, NULL));
				} else {
					snprintf(v, sizeof(v), "-");
				}
				fprintf(out, " %11s", v);
			}
			fprintf(out, "\n");
		}
	}
}

static void print_tables(FILE *out)
{
	int i, j, seen;

	for (i = 0; i < nfigs; i++) {
		for (j = 0, seen = 0; j < i && !seen; j++)
			seen = !strcmp(figs[j].workload, figs[i].workload) &&
			       !strcmp(figs[j].variant, figs[i].variant) &&
			       !strcmp(figs[j].metric, figs[i].metric);
		if (!seen)
			print_group(out, i);
	}
}

static int print_targets(FILE *out)
{
	int i, met = 0;

	fprintf(out, "\nTargets (median over boots of per-boot figures)\n");
	for (i = 0; i < ntargets; i++) {
		const struct target *t = &targets[i];

		fprintf(out, "  %-72s %8.3g %s %-6g %s\n", t->what, t->value,
			t->at_most ? "<=" : ">=", t->goal,
			target_met(t) ? "met" : "MISSED");
		met += target_met(t);
	}
	fprintf(out, "targets: %d met, %d missed\n", met, ntargets - met);
	if (nrefs)
		fprintf(out, "\nFor reference (no target)\n");
	for (i = 0; i < nrefs; i++)
		fprintf(out, "  %-72s %8.3g\n", refs[i].what, refs[i].value);
	return ntargets - met;
}

static void write_csv(FILE *out)
{
	int i, b, n;

	fprintf(out, "kind,workload,variant,mech,size,depth,metric,median,boots,spread_max");
	for (b = 0; b < nboots; b++)
		fprintf(out, ",boot%d", b + 1);
	fprintf(out, "\n");
	for (i = 0; i < nfigs; i++) {
		const struct fig *f = &figs[i];
		double sp = 0;

		for (b = 0; b < nboots; b++)
			if (!isnan(f->spread[b]) && f->spread[b] > sp)
				sp = f->spread[b];
		fprintf(out, "figure,%s,%s,%s,%llu,%ld,%s,%.6g,", f->workload,
			f->variant, f->mech, f->size, f->depth, f->metric,
			median(f->boot, nboots, &n));
		fprintf(out, "%d,%.3g", n, sp);
		for (b = 0; b < nboots; b++)
			fprintf(out, ",%.6g", f->boot[b]);
		fprintf(out, "\n");
	}
	for (i = 0; i < ntargets; i++)
		fprintf(out, "target,\"%s\",,,,,%s%g,%.6g,%d,,\n",
			targets[i].what, targets[i].at_most ? "<=" : ">=",
			targets[i].goal, targets[i].value, targets[i].boots);
	for (i = 0; i < nrefs; i++)
		fprintf(out, "reference,\"%s\",,,,,,%.6g,%d,,\n",
			refs[i].what, refs[i].value, refs[i].boots);
}

static void json_num(FILE *out, double v)
{
	if (isnan(v))
		fprintf(out, "null");
	else
		fprintf(out, "%.6g", v);
}

static void write_json(FILE *out)
{
	int i, b, n;

	fprintf(out, "{\n  \"kernel\": \"%s\",\n  \"boots\": %d,\n",
		meta_kernel, nboots);
	fprintf(out, "  \"figures\": [\n");
	for (i = 0; i < nfigs; i++) {
		const struct fig *f = &figs[i];

		fprintf(out, "    {\"workload\": \"%s\", \"variant\": \"%s\", "
			"\"mech\": \"%s\", \"size\": %llu, \"depth\": %ld, "
			"\"metric\": \"%s\", \"median\": ", f->workload,
			f->variant, f->mech, f->size, f->depth, f->metric);
		json_num(out, median(f->boot, nboots, &n));
		fprintf(out, ", \"per_boot\": [");
		for (b = 0; b < nboots; b++) {
			fprintf(out, b ? ", " : "");
			json_num(out, f->boot[b]);
		}
		fprintf(out, "]}%s\n", i + 1 < nfigs ? "," : "");
	}
	fprintf(out, "  ],\n  \"targets\": [\n");
	for (i = 0; i < ntargets; i++) {
		fprintf(out, "    {\"target\": \"%s\", \"value\": ",
			targets[i].what);
		json_num(out, targets[i].value);
		fprintf(out, ", \"goal\": \"%s%g\", \"met\": %s}%s\n",
			targets[i].at_most ? "<=" : ">=", targets[i].goal,
			target_met(&targets[i]) ? "true" : "false",
			i + 1 < ntargets ? "," : "");
	}
	fprintf(out, "  ],\n  \"references\": [\n");
	for (i = 0; i < nrefs; i++) {
		fprintf(out, "    {\"reference\": \"%s\", \"value\": ",
			refs[i].what);
		json_num(out, refs[i].value);
		fprintf(out, "}%s\n", i + 1 < nrefs ? "," : "");
	}
	fprintf(out, "  ]\n}\n");
}

/**
 * report() - aggregate boots
 * @nfiles:	number of per-boot CSV files
 * @files:	their paths
 * @outdir:	where results.csv and results.json go
 *
 * Return: 0, or -errno when nothing could be read or written.  Missed
 * targets are reported, not failed: the benchmark measures.
 */
int report(int nfiles, char **files, const char *outdir)
{
	char path[4096];
	FILE *out;
	int i, n;

	if (nfiles < 1 || nfiles > MAX_BOOTS) {
		fprintf(stderr, "mbxbench: 1 to %d boot files\n", MAX_BOOTS);
		return -EINVAL;
	}
	for (i = 0; i < nfiles; i++) {
		n = load(files[i], nboots);
		if (n < 0) {
			fprintf(stderr, "mbxbench: %s: %s\n", files[i],
				strerror(-n));
			return n;
		}
		if (n == 0) {
			fprintf(stderr, "mbxbench: %s: no figures, left out\n",
				files[i]);
			continue;
		}
		nboots++;
	}
	if (!nboots)
		return -ENODATA;
	compute_targets();
	printf("mbxbench: %d boot(s), kernel %s\n", nboots, meta_kernel);
	print_tables(stdout);
	print_targets(stdout);

	snprintf(path, sizeof(path), "%s/results.csv", outdir);
	out = fopen(path, "w");
	if (!out)
		return -errno;
	write_csv(out);
	fclose(out);
	snprintf(path, sizeof(path), "%s/results.json", outdir);
	out = fopen(path, "w");
	if (!out)
		return -errno;
	write_json(out);
	fclose(out);
	return 0;
}
