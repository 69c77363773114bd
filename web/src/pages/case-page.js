// /inbox/{rid}/case: the survivor's case, put together in this browser (docs/envelope.md,
// "Case file"). The receiving agency's device opens the referral and reads the record it
// carries: the earlier handoffs, as far as the survivor's consent let them come, and the
// forwarding agency's notes; the hub adds the status of the referrals this agency is party
// to (the one forwarded, the onward ones, those of the same case between the same two
// agencies found by their link id), and their milestones: recorded, owed by a deadline,
// missed (a gap). Where this browser sent the referral, the case secret it kept when sending
// (kept-cases.js) finds the rest of the case. Nothing opened is stored.

import { linkId, toHex } from '../crypto/index.js';
import { EnvelopeError } from '../crypto/errors.js';

import { api } from './api.js';
import { detachCase } from './casefile.js';
import { $, el, nowSeconds, say, when } from './dom.js';
import { openSealed } from './handover.js';
import { agencyName, gettext, statusName } from './i18n.js';
import { keptCase } from './kept-cases.js';
import { renderStep } from './record.js';
import { explain, unlockDevice } from './unlock.js';

export async function casePage(root) {
  const c = { ...root.dataset, status: $('#case-status'), steps: new Map() };
  c.unlocked = await unlockDevice({ agency: c.agency, person: c.person });
  say(c.status, gettext('Putting the case together in this browser…'), 'busy');
  try {
    const view = await api('GET', `/v1/referrals/${c.rid}`);
    await refreshRosters(c, [view.sender_agency, view.destination]);
    let carried = null;
    if (view.destination === c.agency) {
      carried = await openCase(c, c.rid, view);
    } else if (view.parent) { // this agency forwarded it: the record is in the parent
      carried = await openCase(c, view.parent, null).catch(() => null);
    }
    if (!carried && view.destination !== c.agency) { // this browser sent it: the kept secret
      const secret = await keptCase(c.unlocked.device, c.rid);
      carried = secret ? { secret, record: [], forwarding: null } : null;
    }
    note(c, { id: c.rid, sender: view.sender_agency, destination: view.destination,
      type: view.type, at: view.submitted_at }, view);
    await addRelated(c, view, carried);
    await addMilestones(c);
    show(c, carried);
    say(c.status, '');
  } catch (error) {
    say(c.status, explain(error), 'alert');
  }
}

async function refreshRosters(c, agencies) {
  for (const agency of new Set(agencies)) await c.unlocked.trust.refresh(agency, nowSeconds());
}

/** Open referral `rid` here; its record's steps and its own document join the timeline. */
async function openCase(c, rid, view) {
  const { device, trust } = c.unlocked;
  const data = await api('GET', `/v1/referrals/${rid}/envelope`, { binary: true });
  const opened = await openSealed(data, { rid, device, trust: trust.store, now: nowSeconds() });
  if (toHex(opened.header.envelopeId) !== rid) throw new EnvelopeError('not-this-referral');
  const { content, case: carried } = detachCase(opened.content);
  for (const step of carried?.record ?? []) {
    note(c, { id: step.referral, sender: step.sender, destination: step.destination,
      type: step.type, at: step.sent_at, content: step.content });
  }
  const header = opened.header;
  note(c, { id: rid, sender: opened.sender.agency, destination: header.destination,
    type: header.referralType, at: Number(header.createdAt),
    content: JSON.parse(new TextDecoder().decode(content)) }, view);
  return carried;
}

/** A step of the timeline, merged with what is known of it already. */
function note(c, step, view = null) {
  const key = step.id ?? `${step.destination}@${step.at}`; // an onward referral named by routing
  const known = c.steps.get(key) ?? {};
  const merged = { ...known, ...step, content: step.content ?? known.content };
  if (view) Object.assign(merged, { status: view.status, ackDue: view.ack_due_at });
  c.steps.set(key, merged);
}

async function addRelated(c, view, carried) {
  const onward = [[view.id, view.destination]];
  if (view.parent) {
    const parent = await api('GET', `/v1/referrals/${view.parent}`);
    note(c, { id: parent.id, sender: parent.sender_agency, destination: parent.destination,
      type: parent.type, at: parent.submitted_at }, parent);
    onward.push([view.parent, view.sender_agency]);
  }
  for (const [rid, sender] of onward) {
    for (const o of (await api('GET', `/v1/referrals/${rid}/onward`)).onward) {
      if (o.id === view.id) continue;
      note(c, { id: o.id, sender, destination: o.destination, type: o.type, at: o.submitted_at },
        o.status ? { status: o.status, ack_due_at: null } : null);
    }
  }
  if (!carried) return;
  for (const which of ['inbox', 'outbox']) {
    for (const r of (await api('GET', `/v1/${which}?limit=200`)).referrals) {
      const other = r.destination === c.agency ? r.sender_agency : r.destination;
      if (r.case_link && r.case_link === toHex(linkId(carried.secret, c.agency, other))) {
        note(c, { id: r.id, sender: r.sender_agency, destination: r.destination, type: r.type,
          at: r.submitted_at }, r);
      }
    }
  }
}

/** Each referral's milestones, where this agency is party to it (it has a status). */
async function addMilestones(c) {
  for (const step of c.steps.values()) {
    if (!step.id || !step.status) continue;
    const found = await api('GET', `/v1/referrals/${step.id}/milestones`).catch(() => null);
    if (!found) continue;
    const recorded = new Map(found.recorded.map((m) => [m.code, m.at]));
    step.milestones = found.configured.map((m) => ({ code: m.code, label: m.label,
      at: recorded.get(m.code) ?? null, due: m.due_at, gap: m.gap_at }));
  }
}

/** 'recorded', 'missed' (a gap, or past its deadline), 'pending', or null (not owed yet). */
export function milestoneState(m, now) {
  if (m.at) return 'recorded';
  if (m.gap || (m.due && now > m.due)) return 'missed';
  return m.due ? 'pending' : null;
}

function milestoneText(m, state) {
  if (state === 'recorded') return gettext('%(label)s: recorded %(when)s', { label: m.label, when: when(m.at) });
  if (state === 'missed') {
    return gettext('%(label)s: missed, a gap since %(when)s', { label: m.label, when: when(m.gap ?? m.due) });
  }
  return gettext('%(label)s: due %(when)s', { label: m.label, when: when(m.due) });
}

function showMilestones(steps, now) {
  const items = [];
  for (const s of steps) {
    for (const m of s.milestones ?? []) {
      const state = milestoneState(m, now);
      if (!state) continue;
      items.push(el('li', { 'data-referral': s.id, 'data-code': m.code, 'data-state': state,
        class: state === 'missed' ? 'alert' : '' },
      `${gettext('%(from)s to %(to)s', { from: agencyName(s.sender), to: agencyName(s.destination) })}: `,
      milestoneText(m, state)));
    }
  }
  $('#case-milestones').replaceChildren(...items);
  $('#case-no-milestones').hidden = items.length > 0;
}

/** 'missed' or 'pending' while the acknowledgement is owed, else null. */
function owed(step, now) {
  if (step.status !== 'requested' || !step.ackDue) return null;
  return now > step.ackDue ? 'missed' : 'pending';
}

function followUp(step, now) {
  const state = owed(step, now);
  if (state === null) return '';
  return state === 'missed'
    ? gettext('Acknowledgement missed (due %(when)s)', { when: when(step.ackDue) })
    : gettext('Acknowledgement due %(when)s', { when: when(step.ackDue) });
}

function show(c, carried) {
  const steps = [...c.steps.values()].sort((a, b) => a.at - b.at);
  const agencies = [...new Set(steps.flatMap((s) => [s.sender, s.destination]))];
  const now = nowSeconds();
  $('#case-agencies').replaceChildren(...agencies.map((a) => el('li', { text: agencyName(a) })));
  $('#case-steps').replaceChildren(...steps.map((s) => el('tr', { 'data-referral': s.id ?? '' },
    el('td', { text: when(s.at) }), el('td', { text: agencyName(s.sender) }),
    el('td', { text: agencyName(s.destination) }), el('td', { text: s.type }),
    el('td', { text: s.status ? statusName(s.status) : gettext('Not yours to follow') }),
    el('td', { class: owed(s, now) === 'missed' ? 'alert' : '', text: followUp(s, now) }))));
  showMilestones(steps, now);
  const forwarding = carried?.forwarding;
  $('#case-forwarding').textContent = forwarding
    ? gettext('Forwarded for %(purpose)s. The survivor\'s consent covers: %(covers)s.',
      { purpose: forwarding.purpose, covers: forwarding.covers.join(', ') })
    : '';
  $('#case-record').replaceChildren(...steps.filter((s) => s.content).map((s) => el('section',
    { class: 'card', 'data-referral': s.id },
    el('h3', { text: gettext('%(from)s to %(to)s', { from: agencyName(s.sender), to: agencyName(s.destination) }) }),
    renderStep(s.content, s.type))));
  $('#case').dataset.ready = 'yes';
}
