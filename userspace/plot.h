/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A line chart written as hand-made SVG: one x axis shared by every
 * series, linear axes with round tick steps, vertical markers for events
 * and a legend under the chart.
 */
#ifndef KVMMEM_PLOT_H
#define KVMMEM_PLOT_H

#include <stddef.h>
#include <stdio.h>

#define PLOT_MAX_SERIES		12
#define PLOT_MAX_MARKERS	8

struct plot_series {
	const char *label;
	const char *color;	/* an SVG colour, e.g. "#1f77b4" */
	const char *dash;	/* stroke-dasharray, or NULL for solid */
	double width;		/* stroke width in pixels */
	double opacity;		/* 0 means 1 */
	const double *y;	/* n values */
};

struct plot_marker {
	double x;
	const char *label;
};

struct plot {
	const char *title;
	const char *xlabel;
	const char *ylabel;
	const double *x;	/* n values, increasing */
	size_t n;
	double ymax;		/* 0: from the data */
	struct plot_series series[PLOT_MAX_SERIES];
	size_t nseries;
	struct plot_marker markers[PLOT_MAX_MARKERS];
	size_t nmarkers;
};

int plot_write_svg(const struct plot *p, FILE *out);

#endif /* KVMMEM_PLOT_H */
