/**
 * The WebGPU bench: builds the page of bench/webgpu/ with Vite (nabla from its sources), serves it on
 * 127.0.0.1, opens it in Chromium through playwright-core (Debian's /usr/bin/chromium, or CHROMIUM_PATH;
 * never a downloaded browser), waits for its report, prints a Markdown table with the machine, the browser
 * and the adapters, and writes it to bench/results-webgpu.md. See bench/webgpu/README.md.
 *
 *   npx tsx --tsconfig bench/tsconfig.json bench/webgpu.bench.ts                 # the GPU Chromium finds
 *   npx tsx --tsconfig bench/tsconfig.json bench/webgpu.bench.ts --swiftshader   # no GPU: SwiftShader, quick
 *   npx tsx --tsconfig bench/tsconfig.json bench/webgpu.bench.ts --serve         # build, serve, print the URL
 *
 * Options: --swiftshader (or NABLA_WEBGPU_SWIFTSHADER=1) runs WebGPU on SwiftShader, Chromium's CPU
 * implementation, and implies --quick unless --full is given; --quick (or NABLA_BENCH_QUICK=1); --rounds N;
 * --sizes 256,512,1024; --gpt nano|small; --headed (a visible window, for GPUs that headless Chromium does
 * not use); --flag <chromium flag> (repeatable; or NABLA_CHROMIUM_FLAGS, space-separated); --out <file>
 * (or NABLA_BENCH_OUT); --serve (build and serve only; stop with Ctrl-C); --timeout <minutes> (default 60).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { type StaticServer, serveStatic } from '../test/browser/helpers/server';
import { sourceAliases } from '../vitest.shared';
import { type BenchReport, COLUMN_NAMES, markdownTable, optionsQuery, type PageOptions } from './webgpu/common';

const here = import.meta.dirname;
const root = join(here, '..');

interface Args {
  swiftshader: boolean;
  quick: boolean;
  full: boolean;
  serve: boolean;
  headed: boolean;
  rounds?: number;
  sizes?: number[];
  gpt?: 'nano' | 'small';
  flags: string[];
  out: string;
  timeoutMinutes: number;
}

function parseArgs(argv: string[]): Args {
  const env = process.env;
  const args: Args = {
    swiftshader: env.NABLA_WEBGPU_SWIFTSHADER === '1',
    quick: env.NABLA_BENCH_QUICK === '1',
    full: false,
    serve: false,
    headed: false,
    flags: (env.NABLA_CHROMIUM_FLAGS ?? '').split(/\s+/).filter((f) => f.length > 0),
    out: env.NABLA_BENCH_OUT ?? join(here, 'results-webgpu.md'),
    timeoutMinutes: 60,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`webgpu.bench: ${a} needs a value`);
      return v;
    };
    if (a === '--swiftshader') args.swiftshader = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--full') args.full = true;
    else if (a === '--serve') args.serve = true;
    else if (a === '--headed') args.headed = true;
    else if (a === '--rounds') args.rounds = Number(value());
    else if (a === '--sizes') args.sizes = value().split(',').map(Number);
    else if (a === '--gpt') {
      const g = value();
      if (g !== 'nano' && g !== 'small') throw new Error(`webgpu.bench: --gpt is nano or small, got ${g}`);
      args.gpt = g;
    } else if (a === '--flag') args.flags.push(value());
    else if (a === '--out') args.out = value();
    else if (a === '--timeout') args.timeoutMinutes = Number(value());
    else throw new Error(`webgpu.bench: unknown argument ${a} (see the comment at the top of bench/webgpu.bench.ts)`);
  }
  if (args.swiftshader && !args.full) args.quick = true;
  return args;
}

/** Build the page into bench-results/webgpu-page (gitignored): nabla's packages from their sources. */
async function buildPage(): Promise<string> {
  const outDir = join(root, 'bench-results', 'webgpu-page');
  await build({
    root: join(here, 'webgpu'),
    configFile: false,
    base: './',
    logLevel: 'warn',
    resolve: { alias: sourceAliases, dedupe: ['@tensorflow/tfjs-core'] },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false, chunkSizeWarningLimit: 10_000 },
  });
  return outDir;
}

/** Chromium's flags: WebGPU on, SwiftShader only when asked, no background throttling, plus the user's. */
function chromiumFlags(args: Args): string[] {
  const flags = [
    '--enable-unsafe-webgpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
  ];
  if (args.swiftshader) flags.push('--use-webgpu-adapter=swiftshader');
  else if (platform() === 'linux') flags.push('--enable-features=Vulkan');
  if (process.getuid?.() === 0) flags.push('--no-sandbox'); // Chromium refuses to start its sandbox as root
  return [...flags, ...args.flags];
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown cpu';
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/** The results file: what ran where, the table, the checks, and how to read it. */
function resultsMarkdown(
  report: BenchReport,
  args: Args,
  browserVersion: string,
  flags: string[],
  load: { before: number[]; after: number[] },
): string {
  const isSwiftShader = report.devices.some((d) => /swiftshader/i.test(d.adapter));
  const command = `npx tsx --tsconfig bench/tsconfig.json bench/webgpu.bench.ts${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const o = report.options;
  const warning = isSwiftShader
    ? [
        '> **SwiftShader run: these numbers are CPU emulation and say nothing about GPU performance.** WebGPU ran on',
        "> SwiftShader, Chromium's implementation of Vulkan on the CPU, because this machine has no GPU. The run shows that",
        '> the page works end to end (every library found a device, trained, and its losses were checked); the numbers',
        '> compare how three libraries fare on an emulated device, not on a GPU. Run the bench on a machine with a GPU',
        '> (bench/webgpu/README.md) for numbers that mean something.',
        '',
      ]
    : [];
  return [
    '# Benchmark results: WebGPU (nabla webgpu, tfjs-webgpu, jax-js webgpu)',
    '',
    `Generated by \`${command}\`; do not edit by hand, re-run it. What each row runs and how to run it on a GPU:`,
    '[bench/webgpu/README.md](webgpu/README.md).',
    '',
    ...warning,
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpuModel()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB (${platform()} ${release()}), Node ${process.version}`,
    `- load average (1 / 5 / 15 min) before the run: ${load.before.map((x) => x.toFixed(2)).join(' / ')}; after: ${load.after.map((x) => x.toFixed(2)).join(' / ')}${load.before[0] > 0.5 * cpus().length ? ' (**the machine was busy**: other processes shared its cores, and the numbers are noisier and lower)' : ''}`,
    `- browser: Chromium ${browserVersion} (${args.headed ? 'headed' : 'headless'}), flags \`${flags.join(' ')}\``,
    `- user agent: ${report.userAgent}`,
    ...report.devices.map(
      (d) => `- ${COLUMN_NAMES[d.library]} adapter: ${d.error === undefined ? d.adapter : `none (${d.error})`}`,
    ),
    `- libraries: TensorFlow.js ${report.versions.tfjs ?? packageVersion('@tensorflow/tfjs')} (\`@tensorflow/tfjs-backend-webgpu\` ${packageVersion('@tensorflow/tfjs-backend-webgpu')}), jax-js ${packageVersion('@jax-js/jax')}, nabla from the sources of this checkout`,
    `- rounds: ${o.rounds}; time budget per measurement ${o.budgetMs} ms, ${o.warmupRuns} warm-up run(s), at least ${o.minRuns} timed runs (a run over 1 s is timed once)${o.quick ? ' — **quick run**: fewer rounds and sizes, smaller budgets, the small transformer' : ''}`,
    `- whole page: ${report.seconds.toFixed(0)} s`,
    '',
    ...markdownTable(report),
    '',
    'Higher is better in every row. Each cell is the median over rounds of one measurement per round (the median of',
    'its timed runs); the libraries run in a rotated order from round to round. The ratio columns are nabla divided',
    "by the other library. nabla's MLP and transformer steps run on `setBackend('webgpu')` with autograd, as a user",
    'writes them, with every kernel on the GPU.',
    '',
    '## Checks',
    '',
    ...report.checks.map((c) => `- ${c}`),
    ...(report.notes.length > 0 ? ['', ...report.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const loadBefore = loadavg();
  const pageOptions: Partial<PageOptions> = {
    quick: args.quick,
    rounds: args.rounds,
    sizes: args.sizes,
    gpt: args.gpt,
  };
  const query = optionsQuery(pageOptions);
  console.log('webgpu.bench: building the page with vite ...');
  const outDir = await buildPage();
  // Not cross-origin isolated: nothing here needs SharedArrayBuffer, and a user's own server need not send the headers.
  const server: StaticServer = await serveStatic(outDir, { isolated: false });
  const url = `${server.url}index.html${query}`;

  if (args.serve) {
    const flags = chromiumFlags(args).filter((f) => f.startsWith('--enable') || f.startsWith('--use-webgpu'));
    console.log(`\nThe bench page is served at\n\n  ${url}\n`);
    console.log('Open it in Chrome or Chromium on this machine (a page from 127.0.0.1 is a secure context, so WebGPU');
    console.log(
      `is available). Chrome on Windows and macOS has WebGPU on; Chromium on Linux may need: chromium ${flags.join(' ')}`,
    );
    console.log('Keep the tab in front until the table appears. Options go in the URL: ?quick=1, ?rounds=5,');
    console.log('?sizes=256,512,1024,2048, ?gpt=nano|small. Stop the server with Ctrl-C.');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await server.close();
    return;
  }

  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath))
    throw new Error(
      `webgpu.bench: Chromium not found at ${executablePath}: install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  const flags = chromiumFlags(args);
  console.log(`webgpu.bench: ${executablePath} ${flags.join(' ')}`);
  const browser = await chromium.launch({ executablePath, headless: !args.headed, args: flags });
  const browserVersion = browser.version();
  let report: BenchReport;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Nothing may leave 127.0.0.1.
    await context.route('**/*', (route) =>
      route.request().url().startsWith(server.url) || route.request().url().startsWith('data:')
        ? route.continue()
        : route.abort(),
    );
    const page = await context.newPage();
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('[webgpu-bench] ')) console.log(text.slice('[webgpu-bench] '.length));
      else if (m.type() === 'error' || m.type() === 'warning') console.log(`page ${m.type()}: ${text}`);
    });
    page.on('pageerror', (e) => console.log(`page error: ${String(e)}`));
    console.log(`webgpu.bench: opening ${url}`);
    await page.goto(url);
    await page.waitForFunction(() => window.__webgpuBench !== undefined, null, {
      timeout: args.timeoutMinutes * 60_000,
      polling: 1000,
    });
    report = (await page.evaluate(() => window.__webgpuBench)) as BenchReport;
  } finally {
    await browser.close();
    await server.close();
  }
  if (report.error !== undefined) throw new Error(`webgpu.bench: the page failed: ${report.error}`);
  const md = resultsMarkdown(report, args, browserVersion, flags, { before: loadBefore, after: loadavg() });
  console.log(`\n${md}`);
  writeFileSync(args.out, md);
  console.log(`webgpu.bench: wrote ${args.out}`);
  if (!args.swiftshader && report.devices.some((d) => /swiftshader/i.test(d.adapter)))
    console.log(
      'webgpu.bench: WARNING: Chromium gave a SwiftShader (CPU) adapter although --swiftshader was not asked for: it found no usable GPU. See bench/webgpu/README.md ("no GPU adapter").',
    );
  if (!report.checksPassed) {
    console.log('webgpu.bench: a correctness check FAILED (see "Checks" above)');
    process.exitCode = 1;
  }
}

await main();
