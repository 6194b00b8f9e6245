// The charts of a comparison's report: the loss, accuracy, distance and learning-rate curves, the contour
// plot of a 2-D function, and the decision maps of a 2-D classifier.

import type { OptimizerAggregate } from './optimizer-aggregate';
import type { CompareResult, RunResult } from './results';
import type { Series } from './svg';
import { contourChart } from './svg-contour';
import { decisionMapsChart } from './svg-decision';
import { type LineChartOptions, lineChartFigure } from './svg-line-chart';
import { aggregatesOf, type CurveDefinition, curveDefinitions, hasValidation, plotted } from './trials';

/** One chart of the report: its title and its inline `<svg>`. */
export interface ReportChart {
  /** A stable id (`loss`, `accuracy`, `lr`, `contour`, ...). */
  id: string;
  /** The SVG markup. */
  svg: string;
  /** A sentence under the chart saying what it shows. */
  caption: string;
}

/** What the lines, bands and crosses of the charts are, for the captions. */
function curveNote(result: CompareResult, aggregates: readonly OptimizerAggregate[]): string {
  const seeds = Math.max(...aggregates.map((a) => a.seeds.length), 1);
  const parts: string[] = [];
  if (seeds > 1)
    parts.push(
      `Lines are the median over ${seeds} seeds, bands the interquartile range (25th to 75th percentile) of the runs that did not diverge.`,
    );
  if (result.runs.some((r) => r.status === 'diverged'))
    parts.push('A cross marks where a run diverged: its curve stops at the step before.');
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/**
 * The series of one chart: per optimizer, the median over its seeds with the interquartile band (when
 * more than one run is drawn) and a cross where each diverged run stops.
 */
function chartSeries(
  result: CompareResult,
  aggregates: readonly OptimizerAggregate[],
  definition: CurveDefinition,
): Series[] {
  return aggregates.map((agg) => {
    const band = agg.curves[definition.id] ?? { x: [], median: [], q1: [], q3: [] };
    const runs = result.runs.filter((r) => r.label === agg.label);
    const drawn = agg.diverged.length < runs.length ? runs.length - agg.diverged.length : runs.length;
    const markers = runs
      .filter((r) => r.status === 'diverged')
      .flatMap((r) => {
        const { x, y } = definition.pick(r);
        const k = x.length - 1;
        const seed = runs.length > 1 ? ` (seed ${r.seed ?? '?'})` : '';
        return k >= 0
          ? [{ x: x[k], y: y[k], title: `${agg.label}${seed} diverged at step ${r.divergedAt ?? '?'}` }]
          : [];
      });
    return {
      label: agg.label,
      color: agg.color,
      x: band.x,
      y: band.median,
      band: drawn > 1 ? { lo: band.q1, hi: band.q3 } : undefined,
      markers,
    };
  });
}

/** The run of an optimizer whose path the contour plot draws: of those that did not diverge, the one with the median final f. */
function representative(runs: readonly RunResult[]): RunResult {
  const pool = runs.some((r) => r.status !== 'diverged') ? runs.filter((r) => r.status !== 'diverged') : runs;
  const sorted = [...pool].sort((a, b) => (a.summary.finalLoss || 0) - (b.summary.finalLoss || 0));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * The charts of a comparison. Model tasks: the smoothed training loss per step, the loss per epoch
 * (validation loss when there is a validation set), accuracy per epoch (classification), the decision
 * regions of each optimizer (`decision`, when the runs record a decision grid: a 2-D classification
 * task such as spirals), the learning rate per step. 2-D functions: the contour plot with every
 * trajectory, f per step, the distance to the nearest minimum (when there is one), the learning rate
 * per step. Every line chart has one `<path class="series">` per optimizer, told apart by its colour,
 * dash pattern and markers: with several seeds, the median over them, over a `<path class="band">` of
 * the interquartile range; a cross (`<path class="diverged">`) marks where a run diverged. Its y axis
 * fits the bulk of the values: a few far outside are clipped to its edge, marked, and the caption says
 * so. Every loss axis says whether it is the training or the validation loss.
 *
 * @example
 * ```ts
 * reportCharts(result).map((c) => c.id); // ['loss', 'epoch-loss', 'accuracy', 'lr']
 * ```
 */
export function reportCharts(result: CompareResult): ReportChart[] {
  const runs = result.runs;
  const aggregates = aggregatesOf(result);
  const definitions = new Map(curveDefinitions(result).map((d) => [d.id, d]));
  const curves = (id: string) => chartSeries(result, aggregates, definitions.get(id)!);
  const seeds = Math.max(...aggregates.map((a) => a.seeds.length), 1);
  const legendNote = seeds > 1 ? `median of ${seeds} seeds; band: interquartile range` : undefined;
  const note = curveNote(result, aggregates);
  const yScale = result.settings.lossScale;
  const charts: ReportChart[] = [];
  /** A chart per epoch of the validation `measure` when measured (`captions[0]`), else the training one. */
  const perEpoch = (
    id: string,
    measure: 'loss' | 'accuracy',
    validation: boolean,
    scale: LineChartOptions['yScale'],
    captions: [string, string],
  ) =>
    lineFigure(
      id,
      {
        title: `${validation ? 'Validation' : 'Train'} ${measure} per epoch`,
        xLabel: 'epoch',
        yLabel: validation
          ? `validation ${measure}`
          : measure === 'loss'
            ? 'train loss (epoch mean)'
            : 'train accuracy',
        yScale: scale,
        legendNote,
        series: curves(id),
      },
      `${captions[validation ? 0 : 1]}${note}`,
    );
  if (result.task.kind === 'function' && result.surface !== null) {
    const s = result.surface;
    const n = s.resolution;
    charts.push({
      id: 'contour',
      svg: contourChart({
        title: `${result.task.name}: f(x, y) = ${s.formula}`,
        values: s.values,
        resolution: n,
        bounds: s.bounds,
        minima: s.minima,
        series: aggregates.map((agg) => {
          const mine = runs.filter((r) => r.label === agg.label);
          const run = representative(mine);
          const k = plotted(run).steps;
          const markers = mine
            .filter((r) => r.status === 'diverged')
            .flatMap((r) => {
              const m = plotted(r).steps - 1;
              return m >= 0 ? [{ x: r.steps.x?.[m] ?? Number.NaN, y: r.steps.y?.[m] ?? Number.NaN }] : [];
            });
          return {
            label: agg.label,
            color: agg.color,
            x: (run.steps.x ?? []).slice(0, k),
            y: (run.steps.y ?? []).slice(0, k),
            markers,
          };
        }),
      }),
      caption: `Each optimizer's path from the start (circle) to its last iterate (square), over log-spaced contour levels of f; crosses mark the global minima${
        runs.some((r) => r.status === 'diverged') ? ', and coloured crosses where a run diverged' : ''
      }.${seeds > 1 ? ' With several seeds, the path of the run with the median final f.' : ''}`,
    });
    charts.push(
      lineFigure(
        'loss',
        { title: 'f at each iterate', xLabel: 'step', yLabel: 'f(x, y)', yScale, legendNote, series: curves('loss') },
        `The value of the function after each step (step 0 is the start).${note}`,
      ),
    );
    if (definitions.has('distance'))
      charts.push(
        lineFigure(
          'distance',
          {
            title: 'Distance to the nearest minimum',
            xLabel: 'step',
            yLabel: 'distance',
            yScale: 'log',
            legendNote,
            series: curves('distance'),
          },
          `The Euclidean distance from each iterate to the closest global minimizer.${note}`,
        ),
      );
  } else {
    const val = hasValidation(runs);
    charts.push(
      lineFigure(
        'loss',
        {
          title: 'Train loss per step (smoothed)',
          xLabel: 'step',
          yLabel: 'train loss (smoothed)',
          yScale,
          legendNote,
          series: curves('loss'),
        },
        `The training loss of each batch, smoothed by a bias-corrected moving average (factor 0.9).${note}`,
      ),
      perEpoch('epoch-loss', 'loss', val.loss, yScale, [
        'The loss on the held-out validation set after each epoch.',
        'The mean training loss over each epoch.',
      ]),
    );
    if (definitions.has('accuracy'))
      charts.push(
        perEpoch('accuracy', 'accuracy', val.accuracy, undefined, [
          'The fraction of held-out samples classified correctly after each epoch.',
          'The fraction of training samples classified correctly during each epoch.',
        ]),
      );
    const decision = decisionChart(result, aggregates);
    if (decision !== null) charts.push(decision);
  }
  charts.push(
    lineFigure(
      'lr',
      {
        title: 'Learning rate per step',
        xLabel: 'step',
        yLabel: 'learning rate',
        yScale: lrScale(runs),
        legendNote,
        series: curves('lr'),
      },
      result.settings.schedule === 'none'
        ? 'The learning rate of each optimizer (constant: no schedule).'
        : `The learning rate of each optimizer under the schedule ${result.settings.schedule}.`,
    ),
  );
  return charts;
}

/** A line chart of the report, its caption saying so when points beyond the y axis were clipped to its edge. */
function lineFigure(id: string, options: LineChartOptions, caption: string): ReportChart {
  const { svg, clipped } = lineChartFigure(options);
  const clip =
    clipped > 0
      ? ` The y axis fits the bulk of the values: ${clipped} point${clipped === 1 ? '' : 's'} beyond it ${clipped === 1 ? 'is' : 'are'} drawn at its edge, marked by a triangle (its value in the tooltip).`
      : '';
  // A log axis cannot draw a value at or below 0: say how many points it leaves out.
  const dropped =
    options.yScale === 'log'
      ? options.series.reduce(
          (n, s) => n + s.y.filter((v, i) => Number.isFinite(v) && v <= 0 && Number.isFinite(s.x[i])).length,
          0,
        )
      : 0;
  const left =
    dropped > 0
      ? ` The y axis is logarithmic: ${dropped} point${dropped === 1 ? '' : 's'} at or below 0 ${dropped === 1 ? 'is' : 'are'} left out (--loss-scale symlog or linear draws them).`
      : '';
  return { id, svg, caption: `${caption}${clip}${left}` };
}

/**
 * 2-D classification tasks (spirals): each optimizer's decision regions after training, from the run
 * with the median final loss (see {@link representative}), with the training points; null when the
 * runs carry no decision grid.
 */
function decisionChart(result: CompareResult, aggregates: readonly OptimizerAggregate[]): ReportChart | null {
  const maps = aggregates.flatMap((agg, index) => {
    const run = representative(result.runs.filter((r) => r.label === agg.label));
    const grid = run?.decisionGrid;
    if (run === undefined || grid === undefined || grid.classes.length !== grid.resolution ** 2) return [];
    const accuracy = run.summary.finalAccuracy;
    const on = hasValidation([run]).accuracy ? 'val' : 'train';
    return [
      {
        label: agg.label,
        color: agg.color,
        style: index,
        note: accuracy === null ? undefined : `${on} accuracy ${(accuracy * 100).toFixed(1)}%`,
        grid,
      },
    ];
  });
  if (maps.length === 0) return null;
  const points = result.task.points;
  const seeds = Math.max(...aggregates.map((a) => a.seeds.length), 1);
  return {
    id: 'decision',
    svg: decisionMapsChart({ title: 'Decision regions after training', maps, points }),
    caption: `The class each optimizer's trained network predicts over the input box (pale fills, one per class) and its decision boundary (in its colour)${
      points === undefined ? '' : ', with the training points (hollow: class 0, filled: class 1)'
    }.${seeds > 1 ? ' With several seeds, the run with the median final train loss.' : ''}`,
  };
}

/** Log scale when learning rates span more than a factor of 20 and are all positive. */
function lrScale(runs: readonly RunResult[]): 'log' | 'linear' {
  const all = runs.flatMap((r) => r.steps.lr).filter(Number.isFinite);
  if (all.length === 0 || all.some((v) => v <= 0)) return 'linear';
  return Math.max(...all) / Math.min(...all) > 20 ? 'log' : 'linear';
}
