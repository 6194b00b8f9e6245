// Regenerate the report images of the READMEs: run each comparison the README shows with `nabla compare`
// from source (packages/cli/src, never a possibly stale dist), then screenshot its report.html with
// playwright-core in Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH; no browser is ever
// downloaded; launched as the browser tests launch it) into docs/images/, at a fixed width and scale.
//
//   npx tsx scripts/make-readme-images.ts                  # every image
//   npx tsx scripts/make-readme-images.ts rosenbrock       # only the named ones
//   npx tsx scripts/make-readme-images.ts --keep /tmp/x    # keep the comparisons' output directories in /tmp/x
//
// Each comparison runs in a fresh temporary directory with `--out out`, so the command line shown in
// the report is the README's. The training numbers are seeded and reproducible; the timings are not, and
// a note about noisy timings may add a line or two: so every image has a fixed size (WIDTH x its
// `height`), showing the report down to its charts (the settings table and the footer are left out),
// and the script fails when the charts no longer fit.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from '../test/browser/helpers/browser';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGES = join(ROOT, 'docs', 'images');
/** The page width of every screenshot, in CSS pixels (the report's layout puts two charts a row from 1240). */
const WIDTH = 1280;

/**
 * The images: the README's quick-start comparison on the digits, a 2-D function (Rosenbrock, with Lion,
 * whose spike near the minimum once stretched the f axis down to 1e-27), and the two spirals on 3 seeds
 * (median curves with their bands, and each optimizer's decision regions).
 */
const IMAGES_TO_MAKE: { name: string; file: string; height: number; args: string[] }[] = [
  {
    name: 'digits',
    file: 'report-digits.png',
    height: 1720,
    args: [
      '--task',
      'digits-mlp',
      '--optimizers',
      'sgd:lr=0.1 momentum@sgd:lr=0.05,momentum=0.9 rmsprop:lr=1e-3 adagrad:lr=0.05 adam:lr=1e-3',
      '--epochs',
      '10',
    ],
  },
  {
    name: 'rosenbrock',
    file: 'report-rosenbrock.png',
    height: 2160,
    args: [
      '--task',
      'rosenbrock',
      '--optimizers',
      'sgd:lr=2e-3 momentum@sgd:lr=5e-4,momentum=0.9 adam:lr=0.05 lion:lr=0.01',
      '--steps',
      '1500',
    ],
  },
  {
    name: 'spirals',
    file: 'report-spirals.png',
    height: 1960,
    args: [
      '--task',
      'spirals',
      '--optimizers',
      'sgd:lr=0.3 momentum@sgd:lr=0.1,momentum=0.9 adam:lr=1e-2',
      '--epochs',
      '100',
      '--seeds',
      '3',
    ],
  },
];

function parseArgs(argv: string[]): { names: string[]; keep: string | null } {
  const names: string[] = [];
  let keep: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--keep') keep = resolve(argv[++i] ?? '');
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(
        `usage: npx tsx scripts/make-readme-images.ts [--keep DIR] [${IMAGES_TO_MAKE.map((m) => m.name).join('|')} ...]`,
      );
      process.exit(0);
    } else names.push(argv[i]);
  }
  const unknown = names.filter((n) => !IMAGES_TO_MAKE.some((m) => m.name === n));
  if (unknown.length > 0) {
    console.error(`unknown image ${unknown.join(', ')}; known: ${IMAGES_TO_MAKE.map((m) => m.name).join(', ')}`);
    process.exit(2);
  }
  return { names, keep };
}

/** Run `nabla compare ARGS --out out --quiet` from source in `dir`; return the report's path. */
function compare(args: string[], dir: string): string {
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const cli = join(ROOT, 'packages', 'cli', 'src', 'cli.ts');
  // The repository's tsconfig maps @nablajs/* to the packages' sources (the comparison runs outside the tree).
  const tsconfig = join(ROOT, 'tsconfig.json');
  const run = spawnSync(tsx, ['--tsconfig', tsconfig, cli, 'compare', ...args, '--out', 'out', '--quiet'], {
    cwd: dir,
    stdio: 'inherit',
  });
  if (run.status !== 0) throw new Error(`nabla compare ${args.join(' ')} exited with ${run.status}`);
  return join(dir, 'out', 'report.html');
}

async function main() {
  const { names, keep } = parseArgs(process.argv.slice(2));
  const chosen = IMAGES_TO_MAKE.filter((m) => names.length === 0 || names.includes(m.name));
  const work = keep ?? mkdtempSync(join(tmpdir(), 'nabla-readme-images-'));
  mkdirSync(IMAGES, { recursive: true });
  const browser = await launchChromium();
  try {
    for (const image of chosen) {
      const dir = join(work, image.name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      console.log(`\n== ${image.name}: nabla compare ${image.args.join(' ')}`);
      const report = compare(image.args, dir);
      const page = await browser.newPage({ viewport: { width: WIDTH, height: image.height }, deviceScaleFactor: 1 });
      // The report loads nothing; refuse any request that is not the file itself, so that a regression shows.
      await page.route('**/*', (route) =>
        route.request().url().startsWith('file:') ? route.continue() : route.abort(),
      );
      await page.goto(pathToFileURL(report).href);
      await page.addStyleTag({ content: 'h2:has(+ table.settings), table.settings, footer { display: none }' });
      // The bottom of the last charts, plus a margin.
      const bottom = await page.evaluate(
        () =>
          Math.ceil(Array.from(document.querySelectorAll('div.charts')).at(-1)!.getBoundingClientRect().bottom) + 16,
      );
      if (bottom > image.height)
        throw new Error(
          `${image.file}: the report's charts end at ${bottom} px, below the image's ${image.height}: raise its height`,
        );
      const out = join(IMAGES, image.file);
      await page.screenshot({ path: out });
      await page.close();
      console.log(`wrote ${out} (${WIDTH} x ${image.height}; the charts end at ${bottom})`);
    }
  } finally {
    await browser.close();
    if (keep === null) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
