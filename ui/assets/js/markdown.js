// A small Markdown renderer for playbooks: headings, paragraphs, ordered and bulleted lists,
// fenced code, inline code, bold, italics and links. It builds DOM nodes (never HTML strings),
// and links only to http(s) or to the dashboard itself.
import { h } from './dom.js';

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\[[^\]]+\]\([^)\s]+\))|(\*[^*\s][^*]*\*)/g;

function safeHref(url) {
  return /^https?:\/\//i.test(url) || url.startsWith('/ui/') ? url : null;
}

function inline(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const t = m[0];
    if (m[1]) out.push(h('code', {}, t.slice(1, -1)));
    else if (m[2]) out.push(h('strong', {}, inline(t.slice(2, -2))));
    else if (m[3]) {
      const [, label, url] = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(t);
      const href = safeHref(url);
      out.push(href ? h('a', { href, rel: 'noopener noreferrer', target: href.startsWith('/ui/') ? null : '_blank' }, label) : label);
    } else out.push(h('em', {}, t.slice(1, -1)));
    last = m.index + t.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function renderMarkdown(text) {
  const root = h('div', { class: 'markdown' });
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n');
  let para = [];
  let list = null; // {node, ordered}
  let item = null; // text lines of the current list item

  const flushItem = () => {
    if (item && list) list.node.append(h('li', {}, inline(item.join(' '))));
    item = null;
  };
  const flushList = () => {
    flushItem();
    if (list) root.append(list.node);
    list = null;
  };
  const flushPara = () => {
    if (para.length) root.append(h('p', {}, inline(para.join(' '))));
    para = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^```/.test(line)) {
      flushPara();
      flushList();
      const code = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) code.push(lines[i]);
      root.append(h('pre', {}, h('code', {}, code.join('\n'))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flushPara();
      flushList();
      // The page has its own h1; a playbook's top heading becomes an h2.
      const level = Math.min(6, heading[1].length + 1);
      root.append(h('h' + level, {}, inline(heading[2])));
      continue;
    }
    const bullet = /^\s*([-*]|\d+[.)])\s+(.*)$/.exec(line);
    if (bullet) {
      flushPara();
      const ordered = /\d/.test(bullet[1]);
      if (!list || list.ordered !== ordered) {
        flushList();
        list = { node: h(ordered ? 'ol' : 'ul'), ordered };
      }
      flushItem();
      item = [bullet[2]];
      continue;
    }
    if (line.trim() === '') {
      flushPara();
      flushList();
      continue;
    }
    if (item && /^\s+/.test(line)) {
      item.push(line.trim());
      continue;
    }
    flushList();
    para.push(line.trim());
  }
  flushPara();
  flushList();
  return root;
}
