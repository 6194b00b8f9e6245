// The documentation site: `typedoc` with the root typedoc.json (what `pnpm run docs` runs), built once
// into a temporary folder. It must build without a warning; every relative href and src of every page it
// generates must name a file of the site, and every #fragment an id of its target page; every project
// document (guide, example README) must be a page of its own, linked as such, not copied as raw Markdown;
// every package must have an overview. The Markdown sources must also work on GitHub: every relative link
// names an existing file or folder, and every #fragment a heading of the target as GitHub anchors it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { projectDocuments: string[] };
const packages = readdirSync(join(root, 'packages')).filter((p) =>
  existsSync(join(root, 'packages', p, 'src/index.ts')),
);

/** Every file under `dir`, as paths relative to it with forward slashes. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path, base) : [relative(base, path).split(sep).join('/')];
  });
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
  '&#x27;': "'",
  '&lt;': '<',
  '&gt;': '>',
};
const unescapeHtml = (s: string) => s.replace(/&(amp|quot|#39|#x27|lt|gt);/g, (m) => ENTITIES[m]);

/** The ids (and names) a page or SVG file defines, which a #fragment may point at. */
function idsOf(text: string): Set<string> {
  return new Set([...text.matchAll(/\s(?:id|name)="([^"]*)"/g)].map((m) => unescapeHtml(m[1])));
}

let out = '';
let log = '';
let exitCode: number | null = null;
let pages: string[] = [];
const idCache = new Map<string, Set<string>>();
const ids = (file: string) => {
  let set = idCache.get(file);
  if (set === undefined) {
    set = idsOf(readFileSync(file, 'utf8'));
    idCache.set(file, set);
  }
  return set;
};

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'nabla-docs-site-'));
  const typedoc = join(root, 'node_modules/typedoc/bin/typedoc');
  await new Promise<void>((done) => {
    execFile(
      process.execPath,
      [typedoc, '--out', out],
      { cwd: root, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        // biome-ignore lint/suspicious/noControlCharactersInRegex: strip the colours of typedoc's log
        log = `${stdout}${stderr}`.replace(/\u001b\[[0-9;]*m/g, '');
        done();
      },
    );
  });
  pages = existsSync(out) ? walk(out).filter((f) => f.endsWith('.html') && !f.startsWith('media/')) : [];
  // NOTE: a guard against a hang, not a speed limit: typedoc over every package took more than 10 minutes
  // beside three full test runs on 2 cores (load 12).
}, 1_800_000);

afterAll(() => {
  if (out !== '') rmSync(out, { recursive: true, force: true });
});

describe('the documentation site (typedoc)', () => {
  it('builds with no warning and no error', () => {
    const problems = log.split('\n').filter((line) => /\[(warning|error)\]/.test(line));
    expect(problems).toEqual([]);
    expect(exitCode).toBe(0);
    expect(pages.length).toBeGreaterThan(100);
  });

  it('every relative href and src of every page names a file of the site, and every #fragment an id there', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const page of pages) {
      const file = join(out, page);
      const html = readFileSync(file, 'utf8');
      for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
        const link = unescapeHtml(m[1]);
        if (link === '' || link === '#' || /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(link)) continue;
        checked++;
        const [pathAndQuery, fragment] = link.split('#', 2);
        const path = decodeURIComponent(pathAndQuery.split('?')[0]);
        const target = path === '' ? file : resolve(dirname(file), path);
        if (!existsSync(target) || statSync(target).isDirectory()) {
          broken.push(`${page}: ${link} (no such file)`);
          continue;
        }
        if (fragment !== undefined && fragment !== '' && !ids(target).has(decodeURIComponent(fragment)))
          broken.push(`${page}: ${link} (no id "${fragment}" in ${relative(out, target)})`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });

  it('every project document is a page of its own, and none is copied as raw Markdown', () => {
    const documents = pages.filter((p) => p.startsWith('documents/'));
    expect(documents).toHaveLength(config.projectDocuments.length);
    const sources = new Set(config.projectDocuments.map((d) => readFileSync(join(root, d), 'utf8')));
    const media = existsSync(join(out, 'media'))
      ? readdirSync(join(out, 'media')).filter((f) => f.endsWith('.md'))
      : [];
    for (const copy of media)
      expect(sources.has(readFileSync(join(out, 'media', copy), 'utf8')), `media/${copy} is a project document`).toBe(
        false,
      );
    // The front page reaches the guides of a plugin author through their pages.
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    for (const title of [
      'Getting_started',
      'Writing_an_optimizer_plugin',
      'Testing_an_optimizer__the_conformance_testkit',
      'The_training_loop_and_its_events',
    ])
      expect(index).toContain(`href="documents/${title}.html"`);
  });

  it('every package has an overview, and the /node and /testkit entry points have pages', () => {
    for (const pkg of packages) {
      const page = join(out, `modules/_nablajs_${pkg}.html`);
      expect(existsSync(page), pkg).toBe(true);
      const html = readFileSync(page, 'utf8');
      // A @packageDocumentation comment (tsd-comment) or the package README (tsd-typography) before the members.
      expect(/<section class="tsd-panel tsd-(comment|typography)">/.test(html), `${pkg} has no overview`).toBe(true);
    }
    const entries = packages.flatMap((pkg) =>
      ['node', 'testkit']
        .filter((entry) => existsSync(join(root, 'packages', pkg, 'src', `${entry}.ts`)))
        .map((entry) => [pkg, entry]),
    );
    expect(entries.map(([pkg, entry]) => `${pkg}/${entry}`).sort()).toEqual([
      'core/node',
      'data/node',
      'nn/node',
      'optim/testkit',
      'train/node',
    ]);
    for (const [pkg, entry] of entries) {
      const page = join(out, `modules/_nablajs_${pkg}._nablajs_${pkg}_${entry}.html`);
      expect(existsSync(page), `@nablajs/${pkg}/${entry}`).toBe(true);
      expect(readFileSync(page, 'utf8')).toMatch(/<section class="tsd-panel tsd-comment">/);
    }
  });
});

/** GitHub's anchors for the headings of a Markdown file: lowercase, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
function githubAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of markdown.replace(/^```[\s\S]*?^```/gm, '').split('\n')) {
    const m = /^#{1,6} (.+)$/.exec(line);
    if (m === null) continue;
    const slug = m[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

describe('the Markdown of the site, on GitHub', () => {
  const files = [
    'README.md',
    ...config.projectDocuments,
    ...packages.filter((p) => existsSync(join(root, 'packages', p, 'README.md'))).map((p) => `packages/${p}/README.md`),
  ];

  it.each(files)('every relative link of %s names an existing file and heading', (file) => {
    const text = readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
      const [path, anchor] = link.split('#', 2);
      const target = path === '' ? join(root, file) : resolve(dirname(join(root, file)), decodeURIComponent(path));
      if (!existsSync(target)) {
        broken.push(`${link} (no such file)`);
        continue;
      }
      if (anchor !== undefined && !githubAnchors(readFileSync(target, 'utf8')).has(anchor))
        broken.push(`${link} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });
});
