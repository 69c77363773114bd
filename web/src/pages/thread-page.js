// /inbox/{rid}: one referral's thread, opened in this browser. The receiving escalation group
// downloads the envelope and opens it here, acknowledges with a receipt signed here, accepts
// or declines, records progress and the outcome, and downloads attachments, decrypted here;
// either agency reads the replies sealed to it and writes replies sealed to the other.
// Nothing opened is stored: it lives in this page until the page is left.

import { Kind, ReceiptStatus, fromHex, openReply, sealReduced, sealReply, signReceipt,
  toHex } from '../crypto/index.js';
import { EnvelopeError } from '../crypto/errors.js';

import { ApiError, api, toBase64 } from './api.js';
import { handOver, openSealed } from './handover.js';
import { detachCase } from './casefile.js';
import { parseContent, replyContent, withoutNarrative } from './contents.js';
import { $, $$, busy, download, el, nowSeconds, say, show, size, when } from './dom.js';
import { attachmentName } from './files.js';
import { actorName, agencyName, codeName, eventName, gettext, statusName } from './i18n.js';
import { realLooking, showDrillBanner } from './drills.js';
import { offerOnward, wireOnward } from './onward.js';
import { renderContent } from './render.js';
import { Problem, explain, unlockDevice } from './unlock.js';

const OPEN = ['requested', 'received', 'accepted', 'in-progress'];

export async function threadPage(root) {
  const t = { ...root.dataset, status: $('#thread-status'), opened: null };
  t.base = `/v1/referrals/${t.rid}`;
  wireActions(t);
  wireReplies(t);
  wireOnward(t);
  t.unlocked = await unlockDevice({ agency: t.agency, person: t.person });
  handOver(t.unlocked).catch((error) => say($('#handover'), explain(error), 'alert'));
  $('#content')?.replaceChildren(el('p', { class: 'busy', text: gettext('Opening the envelope…') }));
  try {
    t.view = await api('GET', t.base);
    showStatus(t, t.view);
    const now = nowSeconds();
    for (const agency of new Set([t.view.sender_agency, t.view.destination])) {
      await t.unlocked.trust.refresh(agency, now);
    }
    if (t.side === 'receiving') {
      if (['revoked', 'expired'].includes(t.view.status)) {
        $('#content').replaceChildren(el('p', { class: 'muted', text: gettext(
          'The survivor\'s consent was withdrawn or ran out: the hub deleted the envelope, its '
          + 'replies and attachments.') }));
      } else {
        await openIt(t).catch((error) => unreadable(t, error));
      }
      showStatus(t, t.view);
    }
    await loadReplies(t);
    $('#reply-form button').disabled = ['revoked', 'expired', 'cancelled'].includes(t.view.status);
    say(t.status, '');
  } catch (error) {
    say(t.status, explain(error), 'alert');
  }
}

// -- the referral ---------------------------------------------------------------------------

async function openIt(t) {
  const { device, trust } = t.unlocked;
  say(t.status, gettext('Opening the envelope in this browser…'), 'busy');
  const data = await api('GET', `${t.base}/envelope`, { binary: true });
  const opened = await openSealed(data, { rid: t.rid, device, trust: trust.store,
    now: nowSeconds() });
  // the hub names a referral by its envelope id (a reduced copy's thread id) and keeps its
  // header hash: both must agree
  const reduced = opened.header.kind === Kind.REDUCED;
  const id = reduced ? opened.header.threadId : opened.header.envelopeId;
  if (toHex(id) !== t.rid || toHex(opened.header.hash) !== t.view.header_hash) {
    throw new EnvelopeError('not-this-referral');
  }
  t.opened = opened;
  if (opened.header.drill) showDrillBanner(); // the sender's own device said so
  t.schema ??= await api('GET', `/v1/schemas/${t.view.type}.json`).catch(() => null);
  const parsed = parseContent(detachCase(opened.content).content, opened.header.referralType);
  t.files = parsed.value?.attachment_names ?? [];
  $('#content').replaceChildren(...(reduced ? [el('p', { class: 'muted', id: 'purged-note',
    text: gettext('The narrative was purged by %(who)s; the codes are kept.', {
      who: `${actorName(opened.sender.person)} (${agencyName(opened.sender.agency)})` }) })] : []),
  renderContent(parsed, t.schema));
  $('#content').dataset.opened = 'yes';
  showAttachments(t);
  offerOnward(t);
}

/** What this device cannot open is said in its place (no prompt to unlock stays, and no
 * action is offered on it). */
function unreadable(t, error) {
  t.opened = null;
  $('#content').replaceChildren(el('p', { class: 'alert', role: 'alert', text: explain(error) }));
  $('#content').dataset.opened = 'no';
  say(t.status, '');
}

function showAttachments(t) {
  const refs = t.opened.attachments;
  show($('#attachments'), refs.length > 0);
  $('#attachments ul').replaceChildren(...refs.map((ref) => {
    const button = el('button', { type: 'button', 'data-index': ref.index,
      text: gettext('Download attachment %(num)s (%(size)s)', { num: ref.index + 1, size: size(ref.size) }) });
    button.addEventListener('click', () => fetchAttachment(t, ref, button));
    return el('li', {}, button);
  }));
}

async function fetchAttachment(t, ref, button) {
  try {
    const blob = await busy(button, t.status, gettext('Downloading attachment %(num)s…', { num: ref.index + 1 }),
      () => api('GET', `${t.base}/attachments/${ref.index}`, { binary: true }));
    const bytes = t.opened.openAttachment(ref.index, blob);
    const [name, type] = attachmentName(t.rid, ref.index, bytes, t.files?.[ref.index]);
    download(name, bytes, type);
    say(t.status, gettext('Attachment %(num)s decrypted in this browser and saved as %(name)s.',
      { num: ref.index + 1, name }));
  } catch (error) {
    say(t.status, explain(error), 'alert');
  }
}

// -- status changes -------------------------------------------------------------------------

/** The referral's status, and only the actions valid in it: none before the device is
 * unlocked, and none on the receiving side while the envelope is not open here. */
function showStatus(t, view) {
  t.view = view;
  $('#status-text').textContent = statusName(view.status);
  $('#status-text').dataset.status = view.status;
  if (view.status !== 'requested') $$('[data-timer="ack"]').forEach((e) => show(e, false));
  for (const part of $$('#actions [data-when], #milestones [data-when]')) {
    show(part, part.dataset.when.split(' ').includes(OPEN.includes(view.status) ? view.status : 'closed'));
  }
  show($('#actions'), Boolean(t.unlocked) && (t.side !== 'receiving' || t.opened !== null));
}

async function refreshHistory(t) {
  const { events } = await api('GET', `${t.base}/history`);
  $('#history').replaceChildren(...events.map((e) => el('li', {},
    el('time', { text: when(e.at) }), ` ${eventName(e.action, e.to_status)}`,
    e.code ? ` (${codeName(e.code)})` : '', ` · ${actorName(e.actor)}`)));
}

async function act(t, button, message, step) {
  try {
    const view = await busy(button, t.status, message, step);
    showStatus(t, view);
    await refreshHistory(t);
    say(t.status, gettext('Done: the referral is %(status)s.', { status: statusName(view.status) }));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) {
      say(t.status, explain(error), 'alert');
      return;
    }
    // moved on meanwhile (another device, a colleague): show what can be done now
    try {
      showStatus(t, await api('GET', t.base));
      await refreshHistory(t);
      say(t.status, gettext('Not done: the referral is already %(status)s, changed meanwhile on '
        + 'another device. What you can do now is below.', { status: statusName(t.view.status) }),
      'alert');
    } catch (again) {
      say(t.status, explain(again), 'alert');
    }
  }
}

function acknowledge(t) {
  if (t.opened === null) throw new Problem(gettext('Open the referral before acknowledging it.'));
  const receipt = signReceipt(t.unlocked.device, { envelopeId: t.opened.header.envelopeId,
    headerHash: t.opened.header.hash, status: ReceiptStatus.ACKNOWLEDGED, at: nowSeconds() });
  return api('POST', `${t.base}/acknowledge`, { json: { receipt: toBase64(receipt) } });
}

function wireActions(t) {
  const on = (selector, kind, message, body) => {
    const node = $(selector);
    node?.addEventListener(kind, (event) => {
      event.preventDefault();
      act(t, event.submitter ?? event.target, message, body);
    });
  };
  on('#act-acknowledge', 'click', gettext('Signing a receipt in this browser…'), () => acknowledge(t));
  on('#act-accept', 'click', gettext('Accepting…'), () => api('POST', `${t.base}/accept`, { json: {} }));
  on('#act-progress', 'click', gettext('Recording…'), () => api('POST', `${t.base}/progress`, { json: {} }));
  on('#reject-form', 'submit', gettext('Declining…'), () => api('POST', `${t.base}/reject`,
    { json: { reason: $('#reject-reason').value } }));
  on('#complete-form', 'submit', gettext('Closing…'), () => api('POST', `${t.base}/complete`,
    { json: { outcome: $('#complete-outcome').value } }));
  on('#cancel-form', 'submit', gettext('Cancelling…'), () => api('POST', `${t.base}/cancel`,
    { json: { reason: $('#cancel-reason').value } }));
  on('#purge-form', 'submit', gettext('Sealing what is kept in this browser…'), () => purge(t));
}

/** Keep the codes, let the narrative go: what was opened here, without the fields the type's
 * schema marks as narrative, sealed again to this agency's group as a reduced copy; the hub
 * replaces the envelope (and deletes the attachments), then the page opens what is left. */
async function purge(t) {
  if (t.opened === null) throw new Problem(gettext('Open the referral before purging it.'));
  const { device, trust } = t.unlocked;
  const now = nowSeconds();
  await trust.refresh(t.agency, now);
  const kept = withoutNarrative(t.opened.content, t.schema);
  const sealed = sealReduced(kept, { sender: device, trust: trust.store, referralId: fromHex(t.rid),
    agency: t.agency, referralType: t.view.type, now, urgency: t.opened.header.urgency,
    expiresAt: t.opened.header.expiresAt });
  const view = await api('PUT', `${t.base}/envelope`, { json: { envelope: toBase64(sealed.envelope) } });
  t.view = view;
  $('#purge-sure').checked = false;
  await openIt(t);
  return view;
}

// -- replies --------------------------------------------------------------------------------

function replyItem(reply, body, note) {
  return el('li', { 'data-reply': reply.id },
    el('p', { class: 'muted' }, el('time', { text: when(reply.posted_at) }), ` · ${note}`),
    body);
}

async function loadReplies(t) {
  const { device, trust } = t.unlocked;
  const { replies } = await api('GET', `${t.base}/replies`);
  const items = [];
  for (const reply of replies) {
    if (reply.to_agency !== t.agency) {
      const mine = t.written?.get(reply.id);
      items.push(replyItem(reply, mine ? el('p', { class: 'reply-text', text: mine }) : null,
        mine ? gettext('your agency replied, sealed to %(agency)s', { agency: agencyName(reply.to_agency) })
          : gettext('your agency replied, sealed to %(agency)s (only they can read it)',
            { agency: agencyName(reply.to_agency) })));
      continue;
    }
    try {
      const data = await api('GET', `${t.base}/replies/${reply.id}`, { binary: true });
      const opened = await openSealed(data, { rid: t.rid, device, trust: trust.store,
        now: nowSeconds(), opener: (d, o) => openReply(d, { ...o, referralId: fromHex(t.rid) }) });
      if (opened.header.kind !== Kind.REPLY || toHex(opened.header.threadId) !== t.rid) {
        throw new EnvelopeError('not-a-reply-on-this-thread');
      }
      const who = gettext('from %(person)s at %(agency)s', { person: actorName(opened.sender.person),
        agency: agencyName(opened.sender.agency) });
      items.push(replyItem(reply, renderContent(parseContent(opened.content, 'reply')), who));
    } catch (error) {
      items.push(replyItem(reply, el('p', { class: 'alert', text: explain(error) }),
        gettext('from %(agency)s', { agency: agencyName(reply.from_agency) })));
    }
  }
  $('#replies').replaceChildren(...items);
  show($('#no-replies'), items.length === 0);
}

function wireReplies(t) {
  $('#reply-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('#reply-text');
    const built = replyContent(text.value);
    if (built.errors) {
      say(t.status, gettext('Write the reply first.'), 'alert');
      return;
    }
    const drill = Boolean(t.opened?.header.drill || t.view?.drill);
    const refused = drill ? realLooking(text.value) : null;
    if (refused) {
      say(t.status, refused, 'alert');
      return;
    }
    try {
      await busy(event.submitter, t.status, gettext('Sealing the reply in this browser…'), async () => {
        const { device, trust } = t.unlocked;
        const other = t.side === 'receiving' ? t.view.sender_agency : t.view.destination;
        const now = nowSeconds();
        await trust.refresh(other, now);
        const sealed = sealReply(built.bytes, { sender: device, trust: trust.store,
          referralId: fromHex(t.rid), otherAgency: other, referralType: t.view.type, now, drill });
        const stored = await api('POST', `${t.base}/replies`,
          { json: { envelope: toBase64(sealed.envelope) } });
        t.written ??= new Map();
        t.written.set(stored.id, built.value.text); // this page's memory only
      });
      text.value = '';
      await loadReplies(t);
      await refreshHistory(t);
      say(t.status, gettext('Reply sealed and sent.'));
    } catch (error) {
      say(t.status, explain(error), 'alert');
    }
  });
}
