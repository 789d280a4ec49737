/* plot.c — the --plot SVG, written by hand so it opens in any browser with no other tool:
 * one small panel per metric with metric@K curves (one line per run, bootstrap intervals as
 * whiskers), then, with --segments, grouped bars of NDCG at a middle cutoff per segment. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "results.h"
#include "tide/fileio.h"

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
#define NPAL 8

static void esc(FILE *o, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '&': fputs("&amp;", o); break;
        case '"': fputs("&quot;", o); break;
        default: fputc(*s, o);
        }
    }
}

/* A round upper bound for an axis and its tick step. */
static double nice_max(double v, double *step) {
    if (!(v > 0)) v = 1;
    double e = pow(10, floor(log10(v))), f = v / e, s;
    if (f <= 1) s = 0.2;
    else if (f <= 2) s = 0.5;
    else if (f <= 5) s = 1;
    else s = 2;
    *step = s * e;
    return ceil(v / *step - 1e-9) * *step;
}

typedef struct {
    const char *name;
    int metric;               /* -1 = coverage */
} panel_def;

static double value(const eval_results *r, const eval_group *g, int ri, int metric, int k, double *lo, double *hi) {
    int nk = r->params->n_k;
    if (metric < 0) {
        *lo = *hi = NAN;
        return g->coverage[ri * nk + k];
    }
    int c = ri * r->n_cols + metric * nk + k;
    *lo = r->bootstrap > 0 ? g->ci[c].low : NAN;
    *hi = r->bootstrap > 0 ? g->ci[c].high : NAN;
    return g->mean[c];
}

static void panel(FILE *o, const eval_results *r, const panel_def *pd, double x0, double y0, double w, double h) {
    const eval_group *g = &r->groups[0];
    int nk = r->params->n_k;
    double vmax = 0, lo, hi;
    for (int ri = 0; ri < r->n_runs; ri++)
        for (int k = 0; k < nk; k++) {
            double v = value(r, g, ri, pd->metric, k, &lo, &hi);
            if (!isnan(v) && v > vmax) vmax = v;
            if (!isnan(hi) && hi > vmax) vmax = hi;
        }
    double step, ymax = nice_max(vmax, &step);
    double L = x0 + 48, R = x0 + w - 12, T = y0 + 28, B = y0 + h - 34;
    fprintf(o, "<g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" stroke=\"#dddddd\"/>\n", x0, y0, w, h);
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\">%s@K</text>\n",
            (L + R) / 2, y0 + 18, pd->name);
    for (double t = 0; t <= ymax + step / 2; t += step) {
        double y = B - (B - T) * t / ymax;
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n", L, y, R, y);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.3g</text>\n", L - 4, y + 3, t);
    }
    fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n", L, B, R, B);
    fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n", L, T, L, B);
    double dx = nk > 1 ? (R - L - 24) / (nk - 1) : 0;
    for (int k = 0; k < nk; k++) {
        double x = nk > 1 ? L + 12 + dx * k : (L + R) / 2;
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%d</text>\n", x, B + 13, r->params->ks[k]);
    }
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555555\">K</text>\n", (L + R) / 2, B + 27);
    for (int ri = 0; ri < r->n_runs; ri++) {
        const char *col = palette[ri % NPAL];
        fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
        for (int k = 0; k < nk; k++) {
            double v = value(r, g, ri, pd->metric, k, &lo, &hi);
            if (isnan(v)) continue;
            double x = nk > 1 ? L + 12 + dx * k : (L + R) / 2;
            fprintf(o, "%.1f,%.1f ", x, B - (B - T) * v / ymax);
        }
        fputs("\"/>\n", o);
        for (int k = 0; k < nk; k++) {
            double v = value(r, g, ri, pd->metric, k, &lo, &hi);
            if (isnan(v)) continue;
            double x = (nk > 1 ? L + 12 + dx * k : (L + R) / 2) + (ri - (r->n_runs - 1) / 2.0) * 3;
            if (!isnan(lo))
                fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" opacity=\"0.7\"/>\n",
                        x, B - (B - T) * lo / ymax, x, B - (B - T) * hi / ymax, col);
            fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>", x, B - (B - T) * v / ymax, col);
            esc(o, r->runs[ri].name);
            fprintf(o, " %s@%d = %.4f</title></circle>\n", pd->name, r->params->ks[k], v);
        }
    }
    fputs("</g>\n", o);
}

/* Grouped bars of one metric at one cutoff, per segment. */
static void segment_bars(FILE *o, const eval_results *r, int metric, int k, double x0, double y0, double w, double h) {
    int ns = r->n_groups - 1, nr = r->n_runs;
    double vmax = 0, lo, hi;
    for (int s = 1; s <= ns; s++)
        for (int ri = 0; ri < nr; ri++) {
            double v = value(r, &r->groups[s], ri, metric, k, &lo, &hi);
            if (!isnan(v) && v > vmax) vmax = v;
            if (!isnan(hi) && hi > vmax) vmax = hi;
        }
    double step, ymax = nice_max(vmax, &step);
    double L = x0 + 56, R = x0 + w - 16, T = y0 + 34, B = y0 + h - 46;
    fprintf(o, "<g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" stroke=\"#dddddd\"/>\n", x0, y0, w, h);
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\">%s@%d per segment "
               "(bars: mean; whiskers: %.0f%% interval)</text>\n",
            (L + R) / 2, y0 + 20, tide_eval_metric_name(metric), r->params->ks[k], 100 * r->level);
    for (double t = 0; t <= ymax + step / 2; t += step) {
        double y = B - (B - T) * t / ymax;
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n", L, y, R, y);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.3g</text>\n", L - 4, y + 3, t);
    }
    fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n", L, B, R, B);
    double gw = (R - L) / ns, bw = gw * 0.7 / nr;
    for (int s = 1; s <= ns; s++) {
        const eval_group *g = &r->groups[s];
        double gx = L + gw * (s - 1) + gw * 0.15;
        for (int ri = 0; ri < nr; ri++) {
            double v = value(r, g, ri, metric, k, &lo, &hi);
            if (isnan(v)) continue;
            double x = gx + bw * ri, y = B - (B - T) * v / ymax;
            fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" opacity=\"0.85\"/>\n", x, y,
                    bw * 0.92, B - y, palette[ri % NPAL]);
            if (!isnan(lo)) {
                double cx = x + bw * 0.46;
                fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222222\"/>\n", cx,
                        B - (B - T) * lo / ymax, cx, B - (B - T) * hi / ymax);
            }
            /* The value sits above the whisker so neither hides the other. */
            double ty = isnan(hi) ? y : fmin(y, B - (B - T) * hi / ymax);
            fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%.3f</text>\n", x + bw * 0.46,
                    ty - 3, v);
        }
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">", gx + gw * 0.35, B + 15);
        esc(o, g->label);
        fprintf(o, "</text>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\" fill=\"#555555\">%lld users</text>\n",
                gx + gw * 0.35, B + 28, (long long)g->n);
    }
    fputs("</g>\n", o);
}

tide_status plot_write(const char *path, const eval_results *r) {
    panel_def panels[TIDE_EVAL_N_METRICS + 1];
    int np = 0;
    for (int i = 0; i < r->n_metrics_active; i++) {
        int m = r->metrics_active[i];
        panels[np++] = (panel_def){tide_eval_metric_name(m), m};
        if (m == TIDE_EVAL_HIT) panels[np++] = (panel_def){"coverage", -1};
    }
    int cols = 4, rows = (np + cols - 1) / cols;
    double pw = 270, ph = 210, gap = 12, top = 80;
    double W = cols * pw + (cols + 1) * gap;
    double seg_h = r->n_groups > 1 ? 300 : 0;
    double H = top + rows * (ph + gap) + (seg_h > 0 ? seg_h + gap : 0) + gap;
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    if (st != TIDE_OK) return st;
    FILE *o = f.fp;
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
            W, H, W, H);
    fprintf(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"#f7f7f7\"/>\n");
    fprintf(o, "<text x=\"%.1f\" y=\"26\" font-size=\"18\" font-weight=\"bold\">tide-eval: ", gap);
    esc(o, r->truth_path);
    fprintf(o, " (%lld users%s%s)</text>\n", (long long)r->truth->n_eval,
            r->bootstrap > 0 ? ", whiskers: bootstrap interval" : "", r->params->graded ? ", graded NDCG" : "");
    double lx = gap;
    for (int ri = 0; ri < r->n_runs; ri++) {
        fprintf(o, "<rect x=\"%.1f\" y=\"44\" width=\"22\" height=\"10\" fill=\"%s\"/>\n", lx, palette[ri % NPAL]);
        fprintf(o, "<text x=\"%.1f\" y=\"54\" font-size=\"13\">", lx + 28);
        esc(o, r->runs[ri].name);
        fputs("</text>\n", o);
        lx += 40 + 8 * (double)strlen(r->runs[ri].name);
    }
    for (int i = 0; i < np; i++)
        panel(o, r, &panels[i], gap + (i % cols) * (pw + gap), top + (i / cols) * (ph + gap), pw, ph);
    if (seg_h > 0) {
        /* The cutoff closest to 10 from below (the usual headline), else the smallest. */
        int k = 0;
        for (int j = 0; j < r->params->n_k; j++)
            if (r->params->ks[j] <= 10) k = j;
        segment_bars(o, r, TIDE_EVAL_NDCG, k, gap, top + rows * (ph + gap), W - 2 * gap, seg_h);
    }
    fputs("</svg>\n", o);
    return tide_atomic_commit(&f);
}
