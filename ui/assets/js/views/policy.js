// Detection policy editor: every field of the effective policy (GET /policy), grouped by
// detector; saving PUTs the whole object, and the server names any field it refuses.
import { api } from '../api.js';
import { h, notice, replace } from '../dom.js';

const PRESETS = ['vigil', 'mesedi'];

function fieldInput(section, key, value) {
  const id = `policy-${section}-${key}`;
  if (typeof value === 'boolean') {
    return h('label', { class: 'check' }, h('input', { type: 'checkbox', id, 'data-section': section, 'data-key': key, checked: value }), key.replace(/_/g, ' '));
  }
  return h('label', {}, key.replace(/_/g, ' '),
    h('input', { type: 'number', step: 'any', id, 'data-section': section, 'data-key': key, value: String(value) }));
}

export async function render(ctx) {
  const status = h('div', { id: 'policy-status' });
  const formBox = h('div');

  const draw = (policy) => {
    const preset = h('select', { id: 'policy-preset' }, PRESETS.map((p) => h('option', { value: p, selected: p === policy.preset }, p)));
    const sections = Object.entries(policy).filter(([, v]) => v && typeof v === 'object');
    const form = h('form', { id: 'policy-form' },
      h('div', { class: 'filters' },
        h('label', {}, 'Preset (fields you leave out take its values)', preset),
        h('button', { type: 'submit', class: 'primary' }, 'Save policy'),
        h('button', { type: 'button', id: 'policy-reset', onclick: () => save({ preset: preset.value }, `Reset to the ${preset.value} preset.`) }, 'Reset to preset')),
      h('div', { class: 'form-grid' },
        sections.map(([section, fields]) => h('fieldset', {},
          h('legend', {}, section.replace(/_/g, ' ')),
          h('div', { class: 'stack' }, Object.entries(fields).map(([k, v]) => h('div', {}, fieldInput(section, k, v))))))));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = { preset: preset.value };
      for (const input of form.querySelectorAll('input[data-section]')) {
        const sec = input.dataset.section;
        body[sec] = body[sec] || {};
        body[sec][input.dataset.key] = input.type === 'checkbox' ? input.checked : Number(input.value);
      }
      save(body, 'Policy saved. It applies to detection from now on.');
    });
    replace(formBox, form);
  };

  const save = async (body, message) => {
    try {
      const r = await api('PUT', '/policy', { body });
      draw(r.policy);
      replace(status, notice('ok', message));
    } catch (e) {
      replace(status, notice('error', 'Not saved: ' + e.message));
    }
  };

  const r = await ctx.get('/policy');
  draw(r.policy);
  replace(ctx.root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Detection policy'), h('div', { class: 'sub' }, 'Thresholds of the detectors for this project. Budgets an SDK declares for one execution override them.'))),
    status,
    h('section', { class: 'card' }, formBox));
}
