// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem-plot: draws a kvmmemd record (record = in kvmmemd.conf) as an SVG
 * chart with the simulator's plotter: each VM's resident memory (solid)
 * and balloon target (dashed) over time, in MiB.
 *
 *   kvmmem-plot [-t TITLE] RECORD OUT.svg
 *
 * A record line is "SECONDS VM SIZE RESIDENT TARGET BALLOON_TARGET
 * BALLOONED SWAPPED_OUT SHARING ACTIVE% STATE"; lines starting with '#'
 * are comments.  A scan is a run of lines in which no VM repeats (their
 * times may differ by a tick: kvmmemd before 2026-12-03 stamped each line
 * on its own) and is drawn at its first line's time; a VM missing from a
 * scan (not yet booted, or gone) counts 0 there.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot.h"

#define MAX_VMS		(PLOT_MAX_SERIES / 2)
#define MAX_POINTS	100000

static const char *const colors[MAX_VMS] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
};

static char names[MAX_VMS][64];
static int nvms;
static double minutes[MAX_POINTS], resident[MAX_VMS][MAX_POINTS],
	      balloon[MAX_VMS][MAX_POINTS];
static size_t npoints;

static int vm_index(const char *name)
{
	for (int i = 0; i < nvms; i++)
		if (!strcmp(names[i], name))
			return i;
	if (nvms == MAX_VMS)
		return -1;
	snprintf(names[nvms], sizeof(names[nvms]), "%s", name);
	return nvms++;
}

/* Reads @f; returns 0, or -1 with a message on stderr. */
static int load(FILE *f, const char *path)
{
	double t, size, res, target, btarget, last = -1;
	char line[512], name[64];
	bool in_scan[MAX_VMS] = { false };
	int lineno = 0, vm;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%lf %63s %lf %lf %lf %lf", &t, name, &size,
			   &res, &target, &btarget) != 6) {
			fprintf(stderr, "kvmmem-plot: %s:%d: not a record line\n", path, lineno);
			return -1;
		}
		vm = vm_index(name);
		if (vm < 0) {
			fprintf(stderr, "kvmmem-plot: %s:%d: more than %d VMs\n", path,
				lineno, MAX_VMS);
			return -1;
		}
		if (t < last || (!npoints || in_scan[vm])) {
			if (t < last || npoints == MAX_POINTS) {
				fprintf(stderr, "kvmmem-plot: %s:%d: %s\n", path, lineno,
					t < last ? "time goes back" : "too many scans");
				return -1;
			}
			minutes[npoints++] = t / 60;
			memset(in_scan, 0, sizeof(in_scan));
		}
		in_scan[vm] = true;
		last = t;
		resident[vm][npoints - 1] = res;
		balloon[vm][npoints - 1] = btarget;
	}
	if (!npoints) {
		fprintf(stderr, "kvmmem-plot: %s: no record lines\n", path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct plot p = {
		.title = "kvmmem: each VM's memory, as kvmmemd recorded it",
		.xlabel = "minutes", .ylabel = "MiB",
	};
	FILE *in, *out;
	char label[96];
	int c;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't') {
			fprintf(stderr, "usage: kvmmem-plot [-t TITLE] RECORD OUT.svg\n");
			return 2;
		}
		p.title = optarg;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: kvmmem-plot [-t TITLE] RECORD OUT.svg\n");
		return 2;
	}
	in = fopen(argv[optind], "r");
	if (!in) {
		fprintf(stderr, "kvmmem-plot: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if (load(in, argv[optind])) {
		fclose(in);
		return 1;
	}
	fclose(in);
	p.x = minutes;
	p.n = npoints;
	for (int i = 0; i < nvms; i++) {
		struct plot_series *s = &p.series[p.nseries++];

		snprintf(label, sizeof(label), "%s resident", names[i]);
		*s = (struct plot_series){ .label = strdup(label), .color = colors[i],
					   .width = 2, .y = resident[i] };
		s = &p.series[p.nseries++];
		snprintf(label, sizeof(label), "%s balloon target", names[i]);
		*s = (struct plot_series){ .label = strdup(label), .color = colors[i],
					   .dash = "6 4", .width = 1.5, .y = balloon[i] };
	}
	out = fopen(argv[optind + 1], "w");
	if (!out || plot_write_svg(&p, out) || fclose(out)) {
		fprintf(stderr, "kvmmem-plot: %s: %s\n", argv[optind + 1], strerror(errno));
		return 1;
	}
	return 0;
}
