// The project's docs (docs/*.md) rendered into site pages, so that "how it is computed" links work
// offline, from file:// included. A deliberately small subset of Markdown — headings, paragraphs,
// flat lists, tables, fenced code, `code`, **bold**, *italic*, [links](…) — and SAFE by
// construction: every piece of source text is HTML-escaped before any markup is added, raw HTML
// in the source stays text, and a link becomes an <a> only for http(s) URLs, in-page anchors and
// other rendered docs. The result is wrapped in RenderedHtml, the only thing the site's `html`
// helper emits unescaped.

/** HTML produced here, from escaped text only. */
export class RenderedHtml {
  constructor(readonly html: string) {}
}

export interface RenderedDoc {
  title: string;
  body: RenderedHtml;
  /** Every id in the page (headings and terms). */
  anchors: Set<string>;
  /** A list item that starts with a bold term (`- **size** [report] — …`): its anchor and its text. */
  terms: Map<string, { anchor: string; text: string; source: string }>;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"'`=]/g, (c) => ESC[c]);

export function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[`*_\\]/g, '')
    .replace(/[^a-z0-9\s-]/g, '')
    .trim()
    .replace(/\s+/g, '-');
}

/** Markdown inline text → plain text (for excerpts). */
export function plainText(s: string): string {
  return s
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, '$1')
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/(^|[^\w*])\*(?!\s)(.+?)\*(?!\w)/g, '$1$2');
}

export interface InlineOptions {
  /** The href for another doc (`suite.md` → `suite.html`), or null to leave the link as text. */
  docHref: (file: string, fragment: string) => string | null;
}

export function renderInline(src: string, opts: InlineOptions, links = true): string {
  const held: string[] = [];
  const hold = (html: string) => `\u0000${held.push(html) - 1}\u0000`;
  let s = src.replace(/\u0000/g, '');
  s = s.replace(/`([^`]+)`/g, (_, code: string) => hold(`<code>${escapeHtml(code)}</code>`));
  s = s.replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, (_, c: string) => hold(escapeHtml(c)));
  if (links) {
    s = s.replace(/\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)/g, (_, text: string, url: string) => {
      const inner = renderInline(text.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => held[Number(i)].replace(/<[^>]*>/g, '')), opts, false);
      const href = linkHref(url, opts);
      return hold(href === null ? inner : `<a href="${escapeHtml(href)}"${/^https?:/.test(href) ? ' rel="noopener noreferrer nofollow"' : ''}>${inner}</a>`);
    });
  }
  s = escapeHtml(s);
  s = s.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
  s = s.replace(/(^|[^\w*])\*(?!\s)(.+?)\*(?!\w)/g, '$1<em>$2</em>');
  return s.replace(/\u0000(\d+)\u0000/g, (_, i: string) => held[Number(i)]);
}

function linkHref(url: string, opts: InlineOptions): string | null {
  if (/^https?:\/\//i.test(url)) {
    try {
      return new URL(url).href;
    } catch {
      return null;
    }
  }
  if (/^#[A-Za-z0-9_-]+$/.test(url)) return url;
  const m = /^([A-Za-z0-9_-]+\.md)(#[A-Za-z0-9_-]+)?$/.exec(url);
  return m ? opts.docHref(m[1], m[2] ?? '') : null;
}

const LIST_ITEM = /^( {0,3})([-*]|\d+\.)\s+(.*)$/;
const FENCE = /^\s*```/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const TABLE_SEP = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let code = false;
  const t = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '\\' && t[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (c === '`') {
      code = !code;
      cur += c;
    } else if (c === '|' && !code) {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

export function renderMarkdown(src: string, opts: InlineOptions): RenderedDoc {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  const anchors = new Set<string>();
  const terms = new Map<string, { anchor: string; text: string; source: string }>();
  let title = '';
  const anchor = (base: string): string => {
    let id = base || 'section';
    for (let n = 2; anchors.has(id); n++) id = `${base}-${n}`;
    anchors.add(id);
    return id;
  };
  const inline = (s: string) => renderInline(s, opts);
  let i = 0;
  const isBlockStart = (l: string) => FENCE.test(l) || HEADING.test(l) || LIST_ITEM.test(l) || /^\s*\|/.test(l);
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    if (FENCE.test(line)) {
      const code: string[] = [];
      for (i++; i < lines.length && !FENCE.test(lines[i]); i++) code.push(lines[i]);
      i++;
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    const h = HEADING.exec(line);
    if (h) {
      const level = h[1].length;
      const id = anchor(slug(plainText(h[2])));
      if (level === 1 && !title) title = plainText(h[2]);
      out.push(`<h${level} id="${escapeHtml(id)}">${inline(h[2])}</h${level}>`);
      i++;
      continue;
    }
    if (/^\s*\|/.test(line) && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1])) {
      const head = splitRow(line);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && /^\s*\|/.test(lines[i]); i++) rows.push(splitRow(lines[i]));
      out.push(
        `<div class="tablewrap"><table class="doc"><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table></div>`,
      );
      continue;
    }
    const li = LIST_ITEM.exec(line);
    if (li) {
      const ordered = /\d/.test(li[2]);
      const items: string[] = [];
      while (i < lines.length) {
        const m = LIST_ITEM.exec(lines[i]);
        if (!m || /\d/.test(m[2]) !== ordered) break;
        const text = [m[3]];
        for (i++; i < lines.length; i++) {
          const l = lines[i];
          if (!l.trim()) {
            // a blank line continues the item only if the next line is indented (a continuation paragraph)
            if (i + 1 < lines.length && /^ {2,}\S/.test(lines[i + 1]) && !LIST_ITEM.exec(lines[i + 1])) continue;
            break;
          }
          if (LIST_ITEM.exec(l) || FENCE.test(l) || HEADING.test(l)) break;
          text.push(l.trim());
        }
        const joined = text.join(' ');
        const term = /^\*\*([^*]+)\*\*/.exec(joined);
        let idAttr = '';
        if (term) {
          const key = plainText(term[1]).replace(/[.:]$/, '');
          const id = anchor(`term-${slug(key)}`);
          idAttr = ` id="${escapeHtml(id)}"`;
          if (!terms.has(key)) terms.set(key, { anchor: id, text: plainText(joined), source: joined });
        }
        items.push(`<li${idAttr}>${inline(joined)}</li>`);
        while (i < lines.length && !lines[i].trim() && i + 1 < lines.length && LIST_ITEM.exec(lines[i + 1]) && /\d/.test(LIST_ITEM.exec(lines[i + 1])![2]) === ordered) i++;
      }
      out.push(`<${ordered ? 'ol' : 'ul'}>${items.join('')}</${ordered ? 'ol' : 'ul'}>`);
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() && !(para.length && isBlockStart(lines[i]))) para.push(lines[i++].trim());
    out.push(`<p>${inline(para.join(' '))}</p>`);
  }
  return { title, body: new RenderedHtml(out.join('\n')), anchors, terms };
}
