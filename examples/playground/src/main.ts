// The page: builds the race from the form, sends it to the worker, and draws what the worker reports.
import './style.css';
import { EXAMPLE_CUSTOM } from './custom-example';
import { type ContourView, contourImage, drawBoundary, drawContour, drawCurves, PALETTE } from './plots';
import {
  type FromWorker,
  type OptimizerInfo,
  type RacerReport,
  type RacerSpec,
  type ScheduleSpec,
  SPIRAL_BOX,
  type TaskName,
  type ToWorker,
} from './protocol';

type HyperValue = RacerSpec['options'][string];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const taskSelect = $<HTMLSelectElement>('task');
const racersBox = $<HTMLDivElement>('racers');
const statusLine = $<HTMLParagraphElement>('race-status');
const customCode = $<HTMLTextAreaElement>('custom-code');
const customStatus = $<HTMLParagraphElement>('custom-status');
const maxStepsInput = $<HTMLInputElement>('max-steps');
const resultsBody = document.querySelector<HTMLTableSectionElement>('#results tbody')!;
const contourCanvas = $<HTMLCanvasElement>('contour');
const lossCanvas = $<HTMLCanvasElement>('loss-curves');
const accCanvas = $<HTMLCanvasElement>('acc-curves');
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
  label: string;
  losses: number[];
  accuracies: number[];
  path: number[];
  last: RacerReport | null;
  boundary: { size: number; values: number[] } | null;
}
let tracks = new Map<string, Track>();
let contour: { view: ContourView; image: HTMLCanvasElement } | null = null;
let spirals: { points: number[]; labels: number[] } | null = null;
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
  const color = PALETTE[(nextId - 2) % PALETTE.length];
  card.style.setProperty('--color', color);
  card.dataset.color = color;
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
  tracks = new Map(
    racers.map((r) => [
      r.id,
      {
        color: cards.get(r.id)!.dataset.color!,
        label: r.label,
        losses: [],
        accuracies: [],
        path: [],
        last: null,
        boundary: null,
      },
    ]),
  );
  buildTable();
  generation++;
  send({ type: 'setup', setup: { task: taskSelect.value as TaskName, racers, seed: 0 }, generation });
  dirty = false;
  return true;
}

function buildTable() {
  resultsBody.replaceChildren();
  for (const [id, t] of tracks) {
    const row = resultsBody.insertRow();
    row.dataset.racer = id;
    row.style.setProperty('--color', t.color);
    row.innerHTML = `<td class="swatch"></td><td>${t.label}</td><td class="step"></td><td class="loss"></td>
      <td class="initial"></td><td class="accuracy"></td><td class="point"></td><td class="status"></td>`;
  }
  const boundaries = $<HTMLDivElement>('boundaries');
  boundaries.replaceChildren();
  for (const [id, t] of tracks) {
    const canvas = document.createElement('canvas');
    canvas.width = 200;
    canvas.height = 200;
    canvas.dataset.racer = id;
    canvas.style.setProperty('--color', t.color);
    canvas.title = t.label;
    boundaries.append(canvas);
  }
}

const fmt = (v: number | null) =>
  v === null || Number.isNaN(v) ? '–' : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toFixed(4);

function updateTable() {
  for (const [id, t] of tracks) {
    const r = t.last;
    const row = resultsBody.querySelector<HTMLTableRowElement>(`tr[data-racer="${id}"]`);
    if (r === null || row === null) continue;
    row.dataset.step = String(r.step);
    row.dataset.loss = String(r.loss);
    row.dataset.initialLoss = String(r.initialLoss);
    row.dataset.accuracy = r.accuracy === null ? '' : String(r.accuracy);
    row.dataset.status = r.status;
    row.dataset.pathLength = String(t.path.length / 2);
    if (r.position.length === 2) {
      row.dataset.x = String(r.position[0]);
      row.dataset.y = String(r.position[1]);
    }
    row.querySelector('.step')!.textContent = String(r.step);
    row.querySelector('.loss')!.textContent = fmt(r.loss);
    row.querySelector('.initial')!.textContent = fmt(r.initialLoss);
    row.querySelector('.accuracy')!.textContent = r.accuracy === null ? '–' : `${(100 * r.accuracy).toFixed(1)}%`;
    row.querySelector('.point')!.textContent =
      r.position.length === 2 ? `(${r.position[0].toFixed(3)}, ${r.position[1].toFixed(3)})` : `lr ${fmt(r.lr)}`;
    const status = row.querySelector<HTMLTableCellElement>('.status')!;
    status.textContent = r.error ?? r.status;
    status.className = r.error ? 'status error' : 'status';
  }
}

function draw() {
  frame = 0;
  updateTable();
  const task = taskSelect.value as TaskName;
  if (contour !== null)
    drawContour(
      contourCanvas,
      contour.image,
      contour.view,
      [...tracks.values()].map((t) => ({ color: t.color, points: t.path })),
    );
  const positive = [...tracks.values()].every((t) => t.losses.every((v) => !(v <= 0)));
  drawCurves(
    lossCanvas,
    [...tracks.values()].map((t) => ({ color: t.color, points: t.losses })),
    { log: positive },
  );
  if (task === 'spirals' || task === 'digits')
    drawCurves(
      accCanvas,
      [...tracks.values()].map((t) => ({ color: t.color, points: t.accuracies })),
      { log: false, yMin: 0, yMax: 1 },
    );
  if (task === 'spirals' && spirals !== null)
    for (const [id, t] of tracks) {
      const canvas = document.querySelector<HTMLCanvasElement>(`#boundaries canvas[data-racer="${id}"]`);
      if (canvas) drawBoundary(canvas, t.boundary, spirals, SPIRAL_BOX);
    }
}

function scheduleDraw() {
  if (frame === 0) frame = requestAnimationFrame(draw);
}

function absorb(reports: RacerReport[]) {
  for (const r of reports) {
    const t = tracks.get(r.id);
    if (t === undefined) continue;
    const first = r.step - r.losses.length;
    for (let i = 0; i < r.losses.length; i++) t.losses.push(first + i + 1, r.losses[i]);
    t.accuracies.push(...r.accuracies);
    t.path.push(...r.path);
    t.last = r;
  }
}

function setRunning(value: boolean, message: string) {
  running = value;
  statusLine.dataset.state = value ? 'running' : 'paused';
  statusLine.textContent = message;
}

function onTaskChange() {
  const task = taskSelect.value as TaskName;
  const isFunction = task !== 'spirals' && task !== 'digits';
  $('contour-figure').hidden = !isFunction;
  $('boundaries-figure').hidden = task !== 'spirals';
  $('acc-figure').hidden = isFunction;
  $('acc-caption').textContent =
    task === 'spirals' ? 'Training accuracy (full batch of 300 points)' : 'Held-out accuracy (397 digits)';
  $('task-info').textContent = isFunction
    ? ''
    : task === 'spirals'
      ? '300 points, full batch'
      : '1400 train / 397 test, full batch';
  contour = null;
  markDirty();
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'ready': {
      optimizers = m.optimizers;
      $('backend').textContent = `backend: ${m.backend} (available: ${m.backends.join(', ')})`;
      for (const b of buttons) b.disabled = false;
      addRacer('sgd');
      addRacer('adam');
      statusLine.dataset.state = 'ready';
      statusLine.textContent = 'Ready: press Start.';
      return;
    }
    case 'setup':
      if (m.generation !== generation) return;
      if (m.grid !== null) {
        contour = { view: m.grid, image: contourImage(m.grid) };
        $('contour-caption').textContent =
          `${taskSelect.selectedOptions[0].text}: f = ${m.grid.formula}; × minima, ● start`;
      } else contour = null;
      spirals = m.spirals;
      absorb(m.reports);
      scheduleDraw();
      return;
    case 'progress': {
      if (m.generation !== generation) return;
      absorb(m.reports);
      for (const b of m.boundaries) {
        const t = tracks.get(b.id);
        if (t) t.boundary = { size: b.size, values: b.values };
      }
      if (running && !m.running) setRunning(false, 'Finished: every optimizer stopped.');
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
  send({ type: 'run', maxSteps: Number(maxStepsInput.value) || 500 });
  setRunning(true, 'Racing…');
});
$('pause').addEventListener('click', () => {
  send({ type: 'pause' });
  setRunning(false, 'Paused.');
});
$('step').addEventListener('click', () => {
  if (dirty && !setup()) return;
  send({ type: 'step', count: 1, maxSteps: Number(maxStepsInput.value) || 500 });
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
customCode.value = EXAMPLE_CUSTOM;
onTaskChange();
send({ type: 'hello' });
