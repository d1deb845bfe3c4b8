// SPDX-License-Identifier: GPL-2.0
/*
 * plot.c: a line chart as SVG, written by hand (no libraries).  Used by
 * kvmmem-sim for the figures in Documentation/policy.rst.
 */
#include <math.h>
#include <string.h>

#include "plot.h"

#define WIDTH		860
#define CHART_HEIGHT	420
#define LEFT		72
#define RIGHT		24
#define TOP		44
#define BOTTOM		52
#define LEGEND_ROW	22
#define CHAR_WIDTH	7.2	/* rough width of a 13px sans-serif glyph */

struct frame {
	double x0, x1, y1;	/* data ranges; y starts at 0 */
	double left, right, top, bottom;	/* pixels */
};

static double px(const struct frame *f, double x)
{
	return f->left + (x - f->x0) / (f->x1 - f->x0) * (f->right - f->left);
}

static double py(const struct frame *f, double y)
{
	return f->bottom - y / f->y1 * (f->bottom - f->top);
}

/* A round step (1, 2, 2.5 or 5 times a power of ten) for about n ticks. */
static double tick_step(double range, int n)
{
	double raw = range / n, mag = pow(10, floor(log10(raw))), r = raw / mag;

	if (r <= 1)
		return mag;
	if (r <= 2)
		return 2 * mag;
	if (r <= 2.5)
		return 2.5 * mag;
	if (r <= 5)
		return 5 * mag;
	return 10 * mag;
}

static void text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

static void axes(const struct plot *p, const struct frame *f, FILE *out)
{
	double step, v;

	step = tick_step(f->y1, 6);
	for (v = 0; v <= f->y1 + step / 1e6; v += step) {
		fprintf(out, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' "
			"stroke='#e4e4e4'/>\n", f->left, py(f, v), f->right,
			py(f, v));
		fprintf(out, "<text x='%.1f' y='%.1f' text-anchor='end'>%g"
			"</text>\n", f->left - 6, py(f, v) + 4, v);
	}
	step = tick_step(f->x1 - f->x0, 10);
	for (v = ceil(f->x0 / step) * step; v <= f->x1 + step / 1e6;
	     v += step) {
		fprintf(out, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' "
			"stroke='#e4e4e4'/>\n", px(f, v), f->top, px(f, v),
			f->bottom);
		fprintf(out, "<text x='%.1f' y='%.1f' text-anchor='middle'>%g"
			"</text>\n", px(f, v), f->bottom + 18, v);
	}
	fprintf(out, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' "
		"fill='none' stroke='#444'/>\n", f->left, f->top,
		f->right - f->left, f->bottom - f->top);
	fprintf(out, "<text x='%.1f' y='%.1f' text-anchor='middle'>",
		(f->left + f->right) / 2, f->bottom + 40);
	text(out, p->xlabel);
	fprintf(out, "</text>\n<text transform='translate(18 %.1f) "
		"rotate(-90)' text-anchor='middle'>", (f->top + f->bottom) / 2);
	text(out, p->ylabel);
	fputs("</text>\n", out);
	fprintf(out, "<text x='%.1f' y='26' text-anchor='middle' "
		"font-size='15' font-weight='bold'>", (double)WIDTH / 2);
	text(out, p->title);
	fputs("</text>\n", out);
}

static void markers(const struct plot *p, const struct frame *f, FILE *out)
{
	size_t i;

	for (i = 0; i < p->nmarkers; i++) {
		double x = px(f, p->markers[i].x);

		fprintf(out, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' "
			"stroke='#888' stroke-dasharray='6 4'/>\n", x, f->top,
			x, f->bottom);
		fprintf(out, "<text x='%.1f' y='%.1f' fill='#555'>", x + 5,
			f->top + 16);
		text(out, p->markers[i].label);
		fputs("</text>\n", out);
	}
}

static void series(const struct plot *p, const struct frame *f, FILE *out)
{
	size_t s, i;

	for (s = 0; s < p->nseries; s++) {
		const struct plot_series *ps = &p->series[s];

		fprintf(out, "<polyline fill='none' stroke='%s' "
			"stroke-width='%.1f' stroke-linejoin='round'",
			ps->color, ps->width);
		if (ps->dash)
			fprintf(out, " stroke-dasharray='%s'", ps->dash);
		if (ps->opacity > 0 && ps->opacity < 1)
			fprintf(out, " stroke-opacity='%.2f'", ps->opacity);
		fputs(" points='", out);
		for (i = 0; i < p->n; i++)
			fprintf(out, "%s%.1f,%.1f", i ? " " : "",
				px(f, p->x[i]), py(f, ps->y[i]));
		fputs("'/>\n", out);
	}
}

/* Lays the legend out in rows under the chart; returns the rows used. */
static int legend(const struct plot *p, double top, FILE *out)
{
	double x = LEFT, y = top;
	int rows = p->nseries ? 1 : 0;
	size_t s;

	for (s = 0; s < p->nseries; s++) {
		const struct plot_series *ps = &p->series[s];
		double w = 40 + strlen(ps->label) * CHAR_WIDTH + 24;

		if (x + w > WIDTH - RIGHT && x > LEFT) {
			x = LEFT;
			y += LEGEND_ROW;
			rows++;
		}
		if (out) {
			fprintf(out, "<line x1='%.1f' y1='%.1f' x2='%.1f' "
				"y2='%.1f' stroke='%s' stroke-width='%.1f'",
				x, y - 4, x + 32, y - 4, ps->color,
				ps->width);
			if (ps->dash)
				fprintf(out, " stroke-dasharray='%s'",
					ps->dash);
			fprintf(out, "/>\n<text x='%.1f' y='%.1f'>", x + 40,
				y);
			text(out, ps->label);
			fputs("</text>\n", out);
		}
		x += w;
	}
	return rows;
}

/**
 * plot_write_svg() - write a chart
 * @p: the chart
 * @out: where to write the SVG document
 *
 * Return: 0, or -1 if the data cannot be drawn (fewer than two points)
 * or writing failed.
 */
int plot_write_svg(const struct plot *p, FILE *out)
{
	struct frame f;
	double ymax = p->ymax, step;
	size_t s, i;
	int rows, height;

	if (p->n < 2 || p->x[p->n - 1] <= p->x[0])
		return -1;
	for (s = 0; !p->ymax && s < p->nseries; s++)
		for (i = 0; i < p->n; i++)
			if (p->series[s].y[i] > ymax)
				ymax = p->series[s].y[i];
	if (ymax <= 0)
		ymax = 1;
	step = tick_step(ymax, 6);
	f.x0 = p->x[0];
	f.x1 = p->x[p->n - 1];
	f.y1 = ceil(ymax / step - 1e-9) * step;
	f.left = LEFT;
	f.right = WIDTH - RIGHT;
	f.top = TOP;
	f.bottom = CHART_HEIGHT - BOTTOM;
	rows = legend(p, 0, NULL);
	height = CHART_HEIGHT + rows * LEGEND_ROW + 8;

	fprintf(out, "<?xml version='1.0' encoding='UTF-8'?>\n"
		"<svg xmlns='http://www.w3.org/2000/svg' width='%d' "
		"height='%d' viewBox='0 0 %d %d' font-family='sans-serif' "
		"font-size='13'>\n<rect width='100%%' height='100%%' "
		"fill='white'/>\n", WIDTH, height, WIDTH, height);
	axes(p, &f, out);
	markers(p, &f, out);
	series(p, &f, out);
	legend(p, CHART_HEIGHT + 12, out);
	fputs("</svg>\n", out);
	return ferror(out) ? -1 : 0;
}
