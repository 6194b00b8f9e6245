// A TypeDoc plugin for nabla's documentation site (loaded by the root typedoc.json): a project document
// (a guide, an example's README) whose first line is a `# heading` takes it as its title, so the Markdown
// files need no frontmatter and read the same on GitHub (any other document keeps TypeDoc's name: its
// frontmatter `title`, or its file name). Documents from examples/ are grouped as "Examples", the others
// as "Guides", unless their frontmatter names a `group`.
import { Converter } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DOCUMENT, (_context, doc) => {
    const text = doc.content.map((part) => part.text).join('');
    const heading = /^#[ \t]+(.+)$/.exec(text.trimStart().split('\n', 1)[0]);
    if (heading !== null) doc.name = heading[1].replace(/`/g, '').trim();
    const path = (doc.project.files.getReflectionPath(doc) ?? '').replace(/\\/g, '/');
    if (doc.frontmatter.group === undefined)
      doc.frontmatter.group = path.includes('/examples/') ? 'Examples' : 'Guides';
  });
}
