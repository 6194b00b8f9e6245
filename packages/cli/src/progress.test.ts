import { describe, expect, it } from 'vitest';
import { ProgressDisplay, type TextOutput } from './progress';
import type { RunResult } from './results';

const ESC = String.fromCharCode(27);

/**
 * A terminal for the test: it interprets what the display writes (text, `\r`, `\n`, cursor up `ESC[nA`,
 * clear line `ESC[2K`, clear below `ESC[J`) into lines of a screen, wrapping like a terminal does at
 * `columns` (and counting the wraps, which the display must never cause).
 */
class FakeTerminal implements TextOutput {
  readonly isTTY: boolean;
  readonly columns: number | undefined;
  raw = '';
  writes = 0;
  wraps = 0;
  lines: string[] = [''];
  row = 0;
  private col = 0;
  private readonly wrapAt: number;

  constructor(isTTY: boolean, columns?: number, wrapAt?: number) {
    this.isTTY = isTTY;
    this.columns = columns;
    this.wrapAt = wrapAt ?? (columns !== undefined && columns > 0 ? columns : 80);
  }

  write(text: string): boolean {
    this.raw += text;
    this.writes++;
    const chars = Array.from(text);
    for (let i = 0; i < chars.length; i++) {
      const char = chars[i];
      if (char === ESC && chars[i + 1] === '[') {
        let j = i + 2;
        let digits = '';
        while (/\d/.test(chars[j] ?? '')) digits += chars[j++];
        this.escape(chars[j] ?? '', digits === '' ? 1 : Number(digits));
        i = j;
      } else if (char === '\r') this.col = 0;
      else if (char === '\n') this.newline();
      else if (char === ESC) throw new Error('a lone escape character');
      else this.put(char);
    }
    return true;
  }

  private newline(): void {
    this.row++;
    this.col = 0;
    while (this.lines.length <= this.row) this.lines.push('');
  }

  private put(char: string): void {
    if (this.col >= this.wrapAt) {
      this.wraps++;
      this.newline();
    }
    const line = Array.from(this.lines[this.row].padEnd(this.col));
    line[this.col] = char;
    this.lines[this.row] = line.join('');
    this.col++;
  }

  private escape(command: string, n: number): void {
    if (command === 'A') this.row = Math.max(0, this.row - n);
    else if (command === 'K') this.lines[this.row] = '';
    else if (command === 'J') {
      this.lines[this.row] = this.lines[this.row].slice(0, this.col);
      this.lines.length = this.row + 1;
    } else throw new Error(`unexpected escape sequence ${command}`);
  }

  /** The lines above the cursor (the cursor sits at the start of the line below the display). */
  screen(): string[] {
    expect(this.col).toBe(0);
    return this.lines.slice(0, this.row);
  }
}

class FakeClock {
  t = 0;
  readonly now = (): number => this.t;
}

function result(
  label: string,
  summary: { finalLoss?: number; steps?: number; wallTimeMs?: number; stopReason?: string | null; status?: string },
): RunResult {
  return {
    label,
    optimizer: label,
    hyperparams: { lr: 0.1 },
    color: '#000',
    steps: { step: [], loss: [], smoothedLoss: [], lr: [] },
    epochs: { epoch: [], step: [], loss: [], accuracy: [], valLoss: [], valAccuracy: [], lr: [] },
    summary: {
      finalLoss: 0.0123,
      bestLoss: 0.0123,
      finalAccuracy: null,
      bestAccuracy: null,
      stepsToTarget: null,
      steps: 100,
      wallTimeMs: 1500,
      stepsPerSecond: 66,
      stopReason: null,
      ...summary,
    },
  } as RunResult;
}

/** Run `label` for `total` steps, one update per step, `msPerStep` apart. */
function runOnce(display: ProgressDisplay, clock: FakeClock, label: string, total: number, msPerStep: number) {
  display.start(label, total);
  for (let step = 1; step <= total; step++) {
    clock.t += msPerStep;
    display.update(label, { step, loss: 1 / step, epoch: null });
  }
  display.end(label, result(label, { steps: total }));
}

describe('ProgressDisplay on a terminal', () => {
  it('keeps the header, written by the display or just after it is created, above the rows', () => {
    const term = new FakeTerminal(true, 120);
    const clock = new FakeClock();
    const display = new ProgressDisplay(term, ['sgd', 'adam'], { header: 'first header', clock: clock.now });
    term.write('nabla compare: quadratic, 2 optimizers, 100 steps, seed 0\n');
    runOnce(display, clock, 'sgd', 500, 7);
    runOnce(display, clock, 'adam', 500, 7);
    display.close();
    const screen = term.screen();
    expect(screen).toHaveLength(5);
    expect(screen[0]).toBe('first header');
    expect(screen[1]).toBe('nabla compare: quadratic, 2 optimizers, 100 steps, seed 0');
    expect(screen[2]).toMatch(/^ {2}sgd +done +loss 0\.0123 {2}500 steps in 1\.5s$/);
    expect(screen[3]).toMatch(/^ {2}adam +done +loss 0\.0123 /);
    expect(screen[4]).toMatch(/^ {2}2\/2 runs done {2}100% {2}elapsed 7s {2}ETA 0s$/);
    expect(term.wraps).toBe(0);
  });

  it('draws nothing before the first run starts', () => {
    const term = new FakeTerminal(true, 80);
    new ProgressDisplay(term, ['sgd'], { clock: new FakeClock().now });
    expect(term.raw).toBe('');
  });

  it('leaves no stale rows: every row shows its current state, nothing below the display', () => {
    const term = new FakeTerminal(true, 120);
    const clock = new FakeClock();
    const display = new ProgressDisplay(term, ['sgd', 'adam'], { clock: clock.now });
    display.start('sgd', 100);
    expect(term.screen()).toEqual([
      expect.stringMatching(/^ {2}sgd +\[-{20}\] {3}0% {2}step 0\/100 {2}loss - {2}0ms$/),
      expect.stringMatching(/^ {2}adam +waiting$/),
      expect.stringMatching(/^ {2}0\/2 runs done {2}0% {2}elapsed 0s {2}ETA --$/),
    ]);
    clock.t = 1000;
    display.update('sgd', { step: 50, loss: 0.5, epoch: null });
    expect(term.screen()[0]).toMatch(/^ {2}sgd +\[#{10}-{10}\] {2}50% {2}step 50\/100 {2}loss 0\.5 {2}1\.0s$/);
    display.end('sgd', result('sgd', { finalLoss: 0.25 }));
    display.start('adam', 100);
    expect(term.screen()).toEqual([
      expect.stringMatching(/^ {2}sgd +done +loss 0\.25 /),
      expect.stringMatching(/^ {2}adam +\[-{20}\] {3}0% /),
      expect.stringMatching(/^ {2}1\/2 runs done {2}50% /),
    ]);
    expect(term.lines.slice(term.row).join('')).toBe('');
  });

  it('clears every line it redraws and moves up by the lines it drew last', () => {
    const term = new FakeTerminal(true, 80);
    const clock = new FakeClock();
    const display = new ProgressDisplay(term, ['a', 'b', 'c'], { clock: clock.now });
    display.start('a', 10);
    const first = term.raw;
    expect(first.split(ESC)).toHaveLength(5);
    expect(first.split(`\r${ESC}[2K`)).toHaveLength(5);
    display.start('b', 10);
    expect(term.raw.slice(first.length).startsWith('\x1b[4A')).toBe(true);
    // a label that was not announced gets a row of its own, and the next redraw goes up over one line more
    display.start('d', 10);
    const before = term.raw.length;
    display.end('d', result('d', {}));
    expect(term.raw.slice(before).startsWith('\x1b[5A')).toBe(true);
    expect(term.screen()).toHaveLength(5);
  });

  it.each([
    [120, 119],
    [40, 39],
    [0, 79],
    [undefined, 79],
  ])('cuts lines to the width minus one (columns %s)', (columns, width) => {
    const term = new FakeTerminal(true, columns);
    const clock = new FakeClock();
    const label = 'a-very-long-optimizer-label@sgd:lr=0.1,momentum=0.9,nesterov=true,weightDecay=1e-4';
    const display = new ProgressDisplay(term, [label, 'adam'], { epochs: 10, clock: clock.now });
    display.start(label, 100);
    clock.t += 500;
    display.update(label, { step: 40, loss: 0.1234, epoch: 4 });
    display.close();
    const screen = term.screen();
    expect(screen).toHaveLength(3);
    for (const line of screen) expect(line.length).toBeLessThanOrEqual(width);
    expect(screen[0]).toHaveLength(width);
    expect(screen[0].endsWith('…')).toBe(true);
    expect(term.wraps).toBe(0);
    expect(screen[1]).toMatch(/^ {2}adam +/);
  });

  it('shows the whole line on a wide terminal, epoch included', () => {
    const term = new FakeTerminal(true, 120);
    const clock = new FakeClock();
    const display = new ProgressDisplay(term, ['sgd'], { epochs: 10, clock: clock.now });
    display.start('sgd', 450);
    clock.t = 2500;
    display.update('sgd', { step: 90, loss: 0.5, epoch: 2 });
    expect(term.screen()[0]).toMatch(
      /^ {2}sgd +\[#{4}-{16}\] {2}20% {2}step 90\/450 {2}epoch 2\/10 {2}loss 0\.5 {2}2\.5s$/,
    );
  });

  it('redraws at most every 100 ms by its clock, and always on a start or an end', () => {
    const term = new FakeTerminal(true, 80);
    const clock = new FakeClock();
    const display = new ProgressDisplay(term, ['sgd'], { clock: clock.now });
    display.start('sgd', 1000);
    expect(term.writes).toBe(1);
    for (let step = 1; step <= 1000; step++) {
      clock.t += 1;
      display.update('sgd', { step, loss: 1, epoch: null });
    }
    expect(term.writes).toBe(1 + 10);
    clock.t += 99;
    display.update('sgd', { step: 1000, loss: 1, epoch: null });
    expect(term.writes).toBe(11);
    display.end('sgd', result('sgd', { steps: 1000 }));
    expect(term.writes).toBe(12);
  });

  it('shows an ETA for the whole comparison, and each label runs one run per seed', () => {
    const term = new FakeTerminal(true, 120);
    const clock = new FakeClock();
    const display = new ProgressDisplay(term, ['sgd', 'adam'], { runs: 4, clock: clock.now });
    clock.t = 5000; // loading and warm-up before the first run do not count
    display.start('sgd', 100);
    clock.t += 1000;
    display.update('sgd', { step: 10, loss: 1, epoch: null });
    // 10% of one run of 4: 2.5% done, too early for an estimate
    expect(term.screen()[2]).toMatch(/^ {2}0\/4 runs done {2}2% {2}elapsed 1s {2}ETA --$/);
    expect(term.screen()[0]).toMatch(/^ {2}sgd {7}run 1\/2 {2}\[/);
    clock.t += 9000;
    display.update('sgd', { step: 50, loss: 1, epoch: null });
    // f = 0.5 / 4 = 0.125 after 10 s: 10 * 0.875 / 0.125 = 70 s to go
    expect(term.screen()[2]).toMatch(/^ {2}0\/4 runs done {2}12% {2}elapsed 10s {2}ETA 1m10s$/);
    clock.t += 10_000;
    display.end('sgd', result('sgd', {}));
    display.start('sgd', 100);
    // f = 1 / 4 after 20 s: 60 s to go
    expect(term.screen()).toEqual([
      expect.stringMatching(/^ {2}sgd {7}run 2\/2 {2}\[-{20}\] {3}0% /),
      expect.stringMatching(/^ {2}adam +waiting$/),
      expect.stringMatching(/^ {2}1\/4 runs done {2}25% {2}elapsed 20s {2}ETA 1m00s$/),
    ]);
    clock.t += 3_600_000;
    display.update('sgd', { step: 50, loss: 1, epoch: null });
    // f = 1.5 / 4 after 3620 s: 3620 * 2.5 / 1.5 = 6033 s = 1h40m33s
    expect(term.screen()[2]).toMatch(/elapsed 1h00m {2}ETA 1h40m$/);
  });

  it('shows a diverged run as diverged, by its status or its stop reason', () => {
    const term = new FakeTerminal(true, 120);
    const clock = new FakeClock();
    const display = new ProgressDisplay(term, ['sgd', 'lion'], { clock: clock.now });
    display.start('sgd', 100);
    display.end('sgd', result('sgd', { steps: 12, status: 'diverged', finalLoss: 1.2e20 }));
    display.start('lion', 100);
    display.end('lion', result('lion', { steps: 7, stopReason: 'diverged: f is NaN at step 7' }));
    display.close();
    const screen = term.screen();
    expect(screen[0]).toMatch(/^ {2}sgd +diverged after 12 steps in 1\.5s$/);
    expect(screen[1]).toMatch(/^ {2}lion +diverged after 7 steps in 1\.5s {2}\(f is NaN at step 7\)$/);
    expect(screen.join('\n')).not.toContain('1.2e20');
  });

  it('writes a note above the display and redraws the display below it', () => {
    const term = new FakeTerminal(true, 100);
    const clock = new FakeClock();
    const display = new ProgressDisplay(term, ['sgd', 'adam'], { header: 'head', clock: clock.now });
    display.start('sgd', 100);
    display.note('note: something');
    expect(term.screen()).toEqual([
      'head',
      'note: something',
      expect.stringMatching(/^ {2}sgd +\[/),
      expect.stringMatching(/^ {2}adam +waiting$/),
      expect.stringMatching(/runs done/),
    ]);
  });

  it('close leaves the cursor below the display and ignores later events', () => {
    const term = new FakeTerminal(true, 80);
    const clock = new FakeClock();
    const display = new ProgressDisplay(term, ['sgd'], { clock: clock.now });
    runOnce(display, clock, 'sgd', 20, 1);
    display.close();
    const written = term.raw;
    expect(term.screen()).toHaveLength(2);
    expect(written.endsWith('\n')).toBe(true);
    display.close();
    display.start('sgd', 10);
    display.update('sgd', { step: 5, loss: 1, epoch: null });
    expect(term.raw).toBe(written);
  });
});

describe('ProgressDisplay on a pipe', () => {
  it('prints a start line, exactly one line per 10% and an end line per run, with no escape codes', () => {
    const out = new FakeTerminal(false, 40);
    const clock = new FakeClock();
    const display = new ProgressDisplay(out, ['sgd', 'adam'], { header: 'nabla compare: test', clock: clock.now });
    runOnce(display, clock, 'sgd', 250, 3);
    runOnce(display, clock, 'adam', 250, 3);
    display.close();
    expect(out.raw).not.toContain('\x1b');
    expect(out.raw).not.toContain('\r');
    const lines = out.raw.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 2 * 12);
    expect(lines[0]).toBe('nabla compare: test');
    for (const [index, label] of ['sgd', 'adam'].entries()) {
      const mine = lines.slice(1 + 12 * index, 13 + 12 * index);
      expect(mine[0]).toMatch(new RegExp(`^ {2}${label} +start +250 steps$`));
      expect(mine.slice(1, 11).map((l) => /^ {2}\w+ +(\d+)% {2}step (\d+)\/250 /.exec(l)?.slice(1))).toEqual(
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((d) => [String(10 * d), String(25 * d)]),
      );
      expect(mine[11]).toMatch(new RegExp(`^ {2}${label} +done +loss 0\\.0123 {2}250 steps in 1\\.5s$`));
    }
    // the plain lines are not cut to a width
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(40);
  });

  it('prints one line per update that passes a tenth, when updates come less often', () => {
    const out = new FakeTerminal(false);
    const clock = new FakeClock();
    const display = new ProgressDisplay(out, ['sgd'], { clock: clock.now });
    display.start('sgd', 100);
    for (const step of [5, 25, 30, 35, 70, 100]) display.update('sgd', { step, loss: 1, epoch: null });
    const percents = out.raw
      .split('\n')
      .map((l) => /^ {2}sgd +(\d+)%/.exec(l)?.[1])
      .filter((p) => p !== undefined);
    expect(percents).toEqual(['25', '30', '70', '100']);
  });

  it('adds the ETA of the whole comparison to the progress lines, and the run of each label', () => {
    const out = new FakeTerminal(false);
    const clock = new FakeClock();
    const display = new ProgressDisplay(out, ['sgd'], { runs: 2, clock: clock.now });
    display.start('sgd', 100);
    clock.t = 1000;
    display.update('sgd', { step: 10, loss: 1, epoch: null });
    clock.t = 4000;
    display.update('sgd', { step: 40, loss: 1, epoch: null });
    const lines = out.raw.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ {2}sgd {7}run 1\/2 {2}start +100 steps$/);
    expect(lines[1]).toMatch(/^ {2}sgd {7}run 1\/2 +10% .* {2}\(all runs 5%, ETA 19s\)$/);
    // f = 0.4 / 2 = 0.2 after 4 s: 16 s to go
    expect(lines[2]).toMatch(/ {2}\(all runs 20%, ETA 16s\)$/);
  });
});
