// The page: builds the race from the form, sends it to the worker, and draws what the worker reports.
import './style.css';
import { EXAMPLE_CUSTOM } from './custom-example';
import {
  CLASS_COLORS,
  type ContourView,
  contourImage,
  DASHES,
  drawBoundaryFrame,
  drawContour,
  drawCurves,
  PALETTE,
  setBoundary,
  svg,
} from './plots';
import {
  DIVERGENCE_FACTOR,
  type FromWorker,
  MAX_SEEDS,
  type OptimizerInfo,
  type RacerReport,
  type RacerSpec,
  type ScheduleSpec,
  SPIRAL_BOX,
  START_JITTER,
  type TaskName,
  type ToWorker,
} from './protocol';
import { defaultLr, TASK_DEFAULTS } from './tuning';

type HyperValue = RacerSpec['options'][string];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const taskSelect = $<HTMLSelectElement>('task');
const racersBox = $<HTMLDivElement>('racers');
const statusLine = $<HTMLParagraphElement>('race-status');
const customCode = $<HTMLTextAreaElement>('custom-code');
const customStatus = $<HTMLParagraphElement>('custom-status');
const maxStepsInput = $<HTMLInputElement>('max-steps');
const seedsInput = $<HTMLInputElement>('seeds');
const paceSelect = $<HTMLSelectElement>('pace');
const resultsBody = document.querySelector<HTMLTableSectionElement>('#results tbody')!;
const contourPlot = document.getElementById('contour') as unknown as SVGSVGElement;
const lossPlot = document.getElementById('loss-curves') as unknown as SVGSVGElement;
const accPlot = document.getElementById('acc-curves') as unknown as SVGSVGElement;
const buttons = ['start', 'pause', 'step', 'reset', 'define-custom'].map((id) => $<HTMLButtonElement>(id));

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker) => worker.postMessage(message);

let optimizers: OptimizerInfo[] = [];
let nextId = 1;
let dirty = true;
let running = false;

/** What the page keeps per racer between reports. */
interface Track {
  color: string;
  dash: string;
  label: string;
  /** Quadruples `step, median, q1, q3` of the loss over the seeds, from step 1 on. */
  losses: number[];
  /** Quadruples `step, median, q1, q3` of the accuracy. */
  accuracies: number[];
  /** Per seed, the points `x, y` visited (2-D functions). */
  paths: number[][];
  last: RacerReport | null;
}
let tracks = new Map<string, Track>();
let contour: ContourView | null = null;
/** The task, seeds and length of the race set up last. */
let raced: { task: TaskName; seeds: number; maxSteps: number } = { task: 'rosenbrock', seeds: 1, maxSteps: 1000 };
let frame = 0;
let generation = 0;

const SCHEDULES: ScheduleSpec['kind'][] = ['none', 'stepLR', 'exponentialLR', 'cosineAnnealingLR'];
const SCHEDULE_PARAMS: Record<ScheduleSpec['kind'], [key: keyof ScheduleSpec, value: number][]> = {
  none: [],
  stepLR: [
    ['stepSize', 100],
    ['gamma', 0.5],
  ],
  exponentialLR: [['gamma', 0.995]],
  cosineAnnealingLR: [['tMax', 500]],
};

function formatValue(value: HyperValue): string {
  if (Array.isArray(value)) return value.join(', ');
  return value === null ? '' : String(value);
}

function parseValue(text: string, like: HyperValue, key: string, optimizer: string): HyperValue {
  if (Array.isArray(like)) {
    const parts = text.split(',').map((s) => Number(s.trim()));
    if (parts.length !== like.length || parts.some((v) => Number.isNaN(v)))
      throw new Error(`${optimizer}: ${key} must be ${like.length} numbers separated by commas, got "${text}"`);
    return parts;
  }
  if (typeof like === 'number') {
    const v = Number(text);
    if (text.trim() === '' || Number.isNaN(v)) throw new Error(`${optimizer}: ${key} must be a number, got "${text}"`);
    return v;
  }
  if (like === null) return text.trim() === '' ? null : text.trim();
  return text;
}

function markDirty() {
  dirty = true;
  if (!running) statusLine.textContent = 'Press Start or Step to race with the new settings.';
}

const TASK_NAMES: Record<TaskName, string> = {
  rosenbrock: 'Rosenbrock',
  beale: 'Beale',
  himmelblau: 'Himmelblau',
  saddle: 'the saddle',
  illConditioned: 'the ill-conditioned quadratic',
  spirals: 'the two spirals',
  digits: 'the digits',
};

const isFunction = (task: TaskName) => task !== 'spirals' && task !== 'digits';
const currentTask = () => taskSelect.value as TaskName;

/** Set a card's lr input to the race default of its optimizer on the current task (or the optimizer's own default). */
function applyTaskLr(card: HTMLElement) {
  const name = card.querySelector<HTMLSelectElement>('.optimizer')!.value;
  const input = card.querySelector<HTMLInputElement>('.hp[data-key="lr"]');
  const info = optimizers.find((o) => o.name === name);
  if (input === null || info === undefined || typeof info.defaults.lr !== 'number') return;
  const task = currentTask();
  const tuned = defaultLr(task, name);
  input.value = String(tuned ?? info.defaults.lr);
  input.dataset.pytorchDefault = String(info.defaults.lr);
  input.dataset.tuned = tuned === undefined ? 'false' : 'true';
  input.title =
    tuned === undefined
      ? `the optimizer's default (${info.defaults.lr}): not tuned for ${TASK_NAMES[task]}`
      : `tuned for ${TASK_NAMES[task]} by a sweep (see the README); the optimizer's (PyTorch's) default is ${info.defaults.lr}`;
}

function renderHyperparams(card: HTMLElement, name: string) {
  const box = card.querySelector<HTMLDivElement>('.hps')!;
  box.replaceChildren();
  const info = optimizers.find((o) => o.name === name);
  if (info === undefined) return;
  for (const [key, value] of Object.entries(info.defaults)) {
    const label = document.createElement('label');
    label.textContent = key;
    const input = document.createElement('input');
    input.className = 'hp';
    input.dataset.key = key;
    if (typeof value === 'boolean') {
      input.type = 'checkbox';
      input.checked = value;
    } else {
      input.type = typeof value === 'number' ? 'number' : 'text';
      if (typeof value === 'number') input.step = 'any';
      input.value = formatValue(value);
      if (value === null) input.placeholder = 'null';
    }
    input.addEventListener('change', markDirty);
    label.append(input);
    box.append(label);
  }
  applyTaskLr(card);
}

function renderSchedule(card: HTMLElement, kind: ScheduleSpec['kind']) {
  const row = card.querySelector<HTMLDivElement>('.schedule-params')!;
  row.replaceChildren();
  for (const [key, value] of SCHEDULE_PARAMS[kind]) {
    const label = document.createElement('label');
    label.textContent = key;
    const input = document.createElement('input');
    input.type = 'number';
    input.step = 'any';
    input.value = String(value);
    input.dataset.key = key;
    input.className = 'schedule-param';
    input.addEventListener('change', markDirty);
    label.append(input);
    row.append(label);
  }
}

function addRacer(name: string, options: Record<string, HyperValue> = {}) {
  const id = `r${nextId++}`;
  const card = document.createElement('div');
  card.className = 'racer';
  card.dataset.id = id;
  const index = nextId - 2;
  const color = PALETTE[index % PALETTE.length];
  card.style.setProperty('--color', color);
  card.dataset.color = color;
  card.dataset.dash = DASHES[index % DASHES.length];
  card.innerHTML = `
    <header><select class="optimizer" aria-label="optimizer"></select>
      <button type="button" class="remove" title="Remove">✕</button></header>
    <div class="hps"></div>
    <div class="schedule-row"><label>schedule <select class="schedule"></select></label>
      <span class="schedule-params"></span></div>`;
  const select = card.querySelector<HTMLSelectElement>('.optimizer')!;
  fillOptimizerSelect(select, name);
  const schedule = card.querySelector<HTMLSelectElement>('.schedule')!;
  for (const kind of SCHEDULES) schedule.add(new Option(kind, kind));
  renderHyperparams(card, name);
  for (const [key, value] of Object.entries(options)) {
    const input = card.querySelector<HTMLInputElement>(`.hp[data-key="${key}"]`);
    if (input) input.value = formatValue(value);
  }
  renderSchedule(card, 'none');
  select.addEventListener('change', () => {
    renderHyperparams(card, select.value);
    markDirty();
  });
  schedule.addEventListener('change', () => {
    renderSchedule(card, schedule.value as ScheduleSpec['kind']);
    markDirty();
  });
  card.querySelector('.remove')!.addEventListener('click', () => {
    card.remove();
    markDirty();
  });
  racersBox.append(card);
  markDirty();
}

function fillOptimizerSelect(select: HTMLSelectElement, selected: string) {
  select.replaceChildren();
  for (const o of optimizers) select.add(new Option(`${o.name}  (${o.plugin.replace('@nablajs/', '')})`, o.name));
  select.value = selected;
}

function readRacers(): RacerSpec[] {
  return Array.from(racersBox.querySelectorAll<HTMLDivElement>('.racer')).map((card, i) => {
    const optimizer = card.querySelector<HTMLSelectElement>('.optimizer')!.value;
    const defaults = optimizers.find((o) => o.name === optimizer)?.defaults ?? {};
    const options: Record<string, HyperValue> = {};
    for (const input of Array.from(card.querySelectorAll<HTMLInputElement>('.hp'))) {
      const key = input.dataset.key!;
      options[key] = input.type === 'checkbox' ? input.checked : parseValue(input.value, defaults[key], key, optimizer);
    }
    const kind = card.querySelector<HTMLSelectElement>('.schedule')!.value as ScheduleSpec['kind'];
    const schedule: ScheduleSpec = { kind };
    for (const input of Array.from(card.querySelectorAll<HTMLInputElement>('.schedule-param')))
      (schedule as unknown as Record<string, number>)[input.dataset.key!] = Number(input.value);
    return { id: card.dataset.id!, label: `#${i + 1} ${optimizer}`, optimizer, options, schedule };
  });
}

/** The number of seeds in the input, clamped to 1..MAX_SEEDS (and written back when it was out of range). */
function readSeeds(): number {
  const n = Math.max(1, Math.min(MAX_SEEDS, Math.round(Number(seedsInput.value) || 1)));
  seedsInput.value = String(n);
  return n;
}

const readMaxSteps = () =>
  Math.max(1, Math.round(Number(maxStepsInput.value) || TASK_DEFAULTS[currentTask()].maxSteps));

function setup(): boolean {
  let racers: RacerSpec[];
  try {
    racers = readRacers();
  } catch (e) {
    statusLine.textContent = (e as Error).message;
    statusLine.dataset.state = 'invalid';
    return false;
  }
  if (racers.length === 0) {
    statusLine.textContent = 'Add at least one optimizer.';
    return false;
  }
  const cards = new Map(
    Array.from(racersBox.querySelectorAll<HTMLDivElement>('.racer')).map((c) => [c.dataset.id!, c]),
  );
  const seeds = readSeeds();
  raced = { task: currentTask(), seeds, maxSteps: readMaxSteps() };
  tracks = new Map(
    racers.map((r) => {
      const lr = r.options.lr;
      return [
        r.id,
        {
          color: cards.get(r.id)!.dataset.color!,
          dash: cards.get(r.id)!.dataset.dash ?? '',
          label: typeof lr === 'number' ? `${r.label} (lr ${lr})` : r.label,
          losses: [],
          accuracies: [],
          paths: Array.from({ length: seeds }, () => []),
          last: null,
        },
      ];
    }),
  );
  buildTable();
  buildLegend();
  generation++;
  send({ type: 'setup', setup: { task: raced.task, racers, seed: 0, seeds }, generation });
  dirty = false;
  return true;
}

function buildTable() {
  resultsBody.replaceChildren();
  for (const [id, t] of tracks) {
    const row = resultsBody.insertRow();
    row.dataset.racer = id;
    row.style.setProperty('--color', t.color);
    row.innerHTML = `<td class="swatch"></td><td class="name"></td><td class="step"></td><td class="loss"></td>
      <td class="initial"></td><td class="accuracy"></td><td class="point"></td><td class="status"></td>`;
    row.querySelector('.name')!.textContent = t.label;
  }
  $<HTMLDivElement>('boundaries').replaceChildren();
}

/** The legend shared by every plot: a line sample per racer (color and dash) and its flags. */
function buildLegend() {
  const list = $<HTMLUListElement>('legend-items');
  list.replaceChildren();
  for (const [id, t] of tracks) {
    const item = document.createElement('li');
    item.className = 'legend-item';
    item.dataset.racer = id;
    const sample = svg('svg', { width: 30, height: 10, 'aria-hidden': 'true' });
    sample.append(
      svg('line', { x1: 1, x2: 29, y1: 5, y2: 5, stroke: t.color, 'stroke-width': 2.5, 'stroke-dasharray': t.dash }),
    );
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = t.label;
    const flag = document.createElement('span');
    flag.className = 'flag';
    item.append(sample, name, flag);
    list.append(item);
  }
  const { seeds } = raced;
  $('legend-note').textContent =
    (seeds > 1
      ? `Curves: median over ${seeds} seeds, band = IQR (interquartile range, 25th to 75th percentile). `
      : 'Curves: one seed (set Seeds above 1 for a median, band = IQR). ') +
    `× = a seed diverged (NaN, infinity, or a loss above ${DIVERGENCE_FACTOR} × |its initial loss|) and stopped; ` +
    'diverged seeds are left out of the median from then on.';
}

const fmt = (v: number | null) =>
  v === null || Number.isNaN(v)
    ? '–'
    : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
      ? v.toExponential(3)
      : v.toFixed(4);

const fmtPoint = (v: number) => (Math.abs(v) < 1e4 ? v.toFixed(3) : v.toExponential(2));

function statusText(r: RacerReport): string {
  if (r.status === 'running' && r.diverged > 0) return `running (${r.diverged}/${r.seeds} seeds diverged)`;
  if (r.error !== null) return r.error;
  return r.status;
}

function updateTable() {
  for (const [id, t] of tracks) {
    const r = t.last;
    const row = resultsBody.querySelector<HTMLTableRowElement>(`tr[data-racer="${id}"]`);
    if (r === null || row === null) continue;
    row.dataset.step = String(r.step);
    row.dataset.loss = String(r.loss);
    row.dataset.lossQ1 = String(r.lossIqr[0]);
    row.dataset.lossQ3 = String(r.lossIqr[1]);
    row.dataset.initialLoss = String(r.initialLoss);
    row.dataset.accuracy = r.accuracy === null ? '' : String(r.accuracy);
    row.dataset.status = r.status;
    row.dataset.seeds = String(r.seeds);
    row.dataset.diverged = String(r.diverged);
    row.dataset.pathLength = String(t.paths[0].length / 2);
    if (r.position.length === 2) {
      row.dataset.x = String(r.position[0]);
      row.dataset.y = String(r.position[1]);
    }
    row.querySelector('.step')!.textContent = String(r.step);
    row.querySelector('.loss')!.textContent =
      r.seeds > 1 && !Number.isNaN(r.loss)
        ? `${fmt(r.loss)} [${fmt(r.lossIqr[0])}, ${fmt(r.lossIqr[1])}]`
        : fmt(r.loss);
    row.querySelector('.initial')!.textContent = fmt(r.initialLoss);
    row.querySelector('.accuracy')!.textContent = r.accuracy === null ? '–' : `${(100 * r.accuracy).toFixed(1)}%`;
    row.querySelector('.point')!.textContent =
      r.position.length === 2 ? `(${fmtPoint(r.position[0])}, ${fmtPoint(r.position[1])})` : `lr ${fmt(r.lr)}`;
    const status = row.querySelector<HTMLTableCellElement>('.status')!;
    status.textContent = statusText(r);
    status.className = r.error ? 'status error' : 'status';
    const item = document.querySelector<HTMLLIElement>(`#legend-items li[data-racer="${id}"]`);
    if (item) {
      item.dataset.status = r.status;
      item.querySelector('.flag')!.textContent =
        r.diverged > 0
          ? `diverged (${r.diverged}/${r.seeds} seed${r.seeds > 1 ? 's' : ''})`
          : r.status === 'error'
            ? 'error'
            : '';
    }
  }
}

const divergedSteps = (t: Track) => (t.last?.divergedAt ?? []).filter((s): s is number => s !== null);

function draw() {
  frame = 0;
  updateTable();
  const { task, seeds, maxSteps } = raced;
  const all = [...tracks.entries()];
  if (contour !== null && isFunction(task))
    drawContour(
      contourPlot,
      contour,
      all.map(([id, t]) => ({
        id,
        color: t.color,
        label: t.label,
        paths: t.paths,
        diverged: (t.last?.divergedAt ?? []).map((s) => s !== null),
      })),
    );
  const series = (pick: (t: Track) => number[]) =>
    all.map(([id, t]) => ({
      id,
      color: t.color,
      dash: t.dash,
      label: t.label,
      points: pick(t),
      band: seeds > 1,
      divergedSteps: divergedSteps(t),
    }));
  const lossSeries = series((t) => t.losses);
  const positive = lossSeries.every((s) => s.points.every((v, i) => i % 4 === 0 || Number.isNaN(v) || v > 0));
  drawCurves(lossPlot, lossSeries, {
    xLabel: isFunction(task) ? 'step' : 'step (full batch: 1 step = 1 epoch)',
    yLabel: isFunction(task) ? 'f(x, y)' : 'train loss (cross-entropy)',
    log: positive,
    minSteps: Math.min(maxSteps, 100),
    clipBelow: task === 'saddle' ? -2.25 : undefined,
  });
  if (!isFunction(task))
    drawCurves(
      accPlot,
      series((t) => t.accuracies).map((s) => ({ ...s, divergedSteps: [] })),
      {
        xLabel: 'step (full batch: 1 step = 1 epoch)',
        yLabel: task === 'spirals' ? 'train accuracy' : 'held-out accuracy',
        log: false,
        yMin: 0,
        yMax: 1,
        minSteps: Math.min(maxSteps, 100),
      },
    );
}

function scheduleDraw() {
  if (frame === 0) frame = requestAnimationFrame(draw);
}

function absorb(reports: RacerReport[]) {
  for (const r of reports) {
    const t = tracks.get(r.id);
    if (t === undefined) continue;
    const steps = r.losses.length / 3;
    const first = r.step - steps;
    for (let i = 0; i < steps; i++)
      t.losses.push(first + i + 1, r.losses[3 * i], r.losses[3 * i + 1], r.losses[3 * i + 2]);
    t.accuracies.push(...r.accuracies);
    r.paths.forEach((p, s) => {
      t.paths[s]?.push(...p);
    });
    t.last = r;
  }
}

function setRunning(value: boolean, message: string) {
  running = value;
  statusLine.dataset.state = value ? 'running' : 'paused';
  statusLine.textContent = message;
}

function seedsNote(task: TaskName): string {
  return isFunction(task)
    ? `2-D functions are deterministic: seed 1 starts at ●, seeds 2 and up start slightly off it ` +
        `(Gaussian, σ = ${100 * START_JITTER}% of the plot's width), so the band shows how much the start matters.`
    : 'Each seed draws other initial weights (the data stay the same); the curves show the median over the seeds with the interquartile band.';
}

function onTaskChange() {
  const task = currentTask();
  const defaults = TASK_DEFAULTS[task];
  $('contour-figure').hidden = !isFunction(task);
  $('boundaries-figure').hidden = task !== 'spirals';
  $('acc-figure').hidden = isFunction(task);
  $('acc-caption').textContent =
    task === 'spirals'
      ? 'Training accuracy (full batch of 300 points), median over the seeds'
      : 'Held-out accuracy (397 digits), median over the seeds';
  $('loss-caption').textContent =
    task === 'saddle'
      ? 'f(x, y) per step; f is unbounded below, so the axis stops at -2.25 (the lowest f in the box) and a run below it is drawn on the bottom edge'
      : isFunction(task)
        ? 'f(x, y) per step (log scale)'
        : 'Training loss per step (full batch, log scale)';
  $('task-info').textContent =
    (isFunction(task) ? '' : task === 'spirals' ? '300 points, full batch. ' : '1400 train / 397 test, full batch. ') +
    `The learning rates start at values tuned for ${TASK_NAMES[task]} (hover an lr for the optimizer's own default).`;
  maxStepsInput.value = String(defaults.maxSteps);
  seedsInput.value = String(defaults.seeds);
  paceSelect.value = String(defaults.stepsPerSecond);
  $('seeds-note').textContent = seedsNote(task);
  for (const card of Array.from(racersBox.querySelectorAll<HTMLDivElement>('.racer'))) applyTaskLr(card);
  contour = null;
  markDirty();
}

function buildBoundaries(data: { points: number[]; labels: number[] }) {
  const box = $<HTMLDivElement>('boundaries');
  box.replaceChildren();
  for (const [id, t] of tracks) {
    const map = svg('svg', { width: 230, height: 230, class: 'plot', 'data-racer': id, role: 'img' });
    map.id = `boundary-${id}`;
    map.style.setProperty('--color', t.color);
    drawBoundaryFrame(map, data, SPIRAL_BOX, { text: t.label, color: t.color });
    box.append(map);
  }
  const legend = $<HTMLDivElement>('class-legend');
  legend.replaceChildren();
  for (const c of [0, 1]) {
    const item = document.createElement('span');
    item.className = 'class-item';
    item.dataset.class = String(c);
    const sample = svg('svg', { width: 28, height: 16, 'aria-hidden': 'true' });
    sample.append(
      svg('rect', {
        class: 'class-swatch',
        x: 0,
        y: 0,
        width: 28,
        height: 16,
        fill: CLASS_COLORS.fill[c],
        stroke: '#999',
      }),
      svg('circle', {
        class: `class-point class-${c}`,
        cx: 14,
        cy: 8,
        r: 4,
        fill: CLASS_COLORS.point[c],
        stroke: CLASS_COLORS.stroke,
        'stroke-width': 1,
      }),
    );
    item.append(sample, ` class ${c} (${c === 0 ? 'hollow' : 'filled'} points, its region shaded)`);
    legend.append(item);
  }
}

/** The registered backends, as the worker listed them. */
let available = '';

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'ready': {
      optimizers = m.optimizers;
      available = m.backends.join(', ');
      $('backend').textContent = `backend: ${m.backend} (available: ${available})`;
      for (const b of buttons) b.disabled = false;
      addRacer('sgd');
      addRacer('adam');
      statusLine.dataset.state = 'ready';
      statusLine.textContent = 'Ready: press Start.';
      return;
    }
    case 'setup':
      if (m.generation !== generation) return;
      $('backend').textContent = `backend: ${m.backend} (available: ${available}); ${m.backendWhy}`;
      if (m.grid !== null) {
        contour = { image: contourImage(m.grid), bounds: m.grid.bounds, minima: m.grid.minima, start: m.grid.start };
        $('contour-caption').textContent =
          `${taskSelect.selectedOptions[0].text}: f = ${m.grid.formula}; ${m.grid.minima.length > 0 ? '× minima, ' : ''}● start` +
          (raced.seeds > 1 ? '; thin lines: seeds 2 and up' : '');
      } else contour = null;
      if (m.spirals !== null) buildBoundaries(m.spirals);
      absorb(m.reports);
      scheduleDraw();
      return;
    case 'progress': {
      if (m.generation !== generation) return;
      absorb(m.reports);
      for (const b of m.boundaries) {
        const map = document.getElementById(`boundary-${b.id}`) as unknown as SVGSVGElement | null;
        if (map) setBoundary(map, b);
      }
      if (running && m.finished) setRunning(false, 'Finished: every optimizer stopped.');
      if (m.stepsPerSecond > 0) $('speed').textContent = `${Math.round(m.stepsPerSecond)} race steps/s in the worker`;
      scheduleDraw();
      return;
    }
    case 'custom':
      if (m.ok) {
        const existing = optimizers.findIndex((o) => o.name === m.optimizer.name);
        if (existing >= 0) optimizers[existing] = m.optimizer;
        else optimizers.push(m.optimizer);
        for (const select of Array.from(racersBox.querySelectorAll<HTMLSelectElement>('.optimizer')))
          fillOptimizerSelect(select, select.value);
        addRacer(m.optimizer.name);
        customStatus.dataset.state = 'ok';
        customStatus.textContent = `Defined ${m.optimizer.name} and added it to the race.`;
      } else {
        customStatus.dataset.state = 'error';
        customStatus.textContent = m.error;
      }
      return;
    case 'error':
      statusLine.dataset.state = 'error';
      statusLine.textContent = m.error;
      return;
  }
};
worker.onerror = (e) => {
  statusLine.dataset.state = 'error';
  statusLine.textContent = `The worker failed: ${e.message}`;
};

$('start').addEventListener('click', () => {
  if (dirty && !setup()) return;
  raced.maxSteps = readMaxSteps();
  send({ type: 'run', maxSteps: raced.maxSteps, stepsPerSecond: Number(paceSelect.value) });
  setRunning(true, 'Racing…');
});
$('pause').addEventListener('click', () => {
  send({ type: 'pause' });
  setRunning(false, 'Paused.');
});
$('step').addEventListener('click', () => {
  if (dirty && !setup()) return;
  send({ type: 'step', count: 1, maxSteps: readMaxSteps() });
  setRunning(false, 'Stepped once.');
});
$('reset').addEventListener('click', () => {
  send({ type: 'pause' });
  setRunning(false, 'Reset: press Start.');
  setup();
});
$('add').addEventListener('click', () => addRacer(optimizers[0]?.name ?? 'sgd'));
$('define-custom').addEventListener('click', () => {
  customStatus.dataset.state = 'pending';
  customStatus.textContent = 'Defining…';
  send({ type: 'defineCustom', code: customCode.value });
});
taskSelect.addEventListener('change', onTaskChange);
seedsInput.addEventListener('change', markDirty);
paceSelect.addEventListener('change', () => {
  if (running) send({ type: 'run', maxSteps: readMaxSteps(), stepsPerSecond: Number(paceSelect.value) });
});
customCode.value = EXAMPLE_CUSTOM;
onTaskChange();
send({ type: 'hello' });
