-- Create a referral in one atomic step: metadata, envelope bytes, history, indexes,
-- deadlines (the acknowledgement ladder's first rung, the end of consent) and audit event,
-- or nothing at all.
-- The referral was routed by a roster the service verified; if the destination's roster
-- or root changed since, nothing is written and the service verifies again.
-- The queue's indexes (what it owes by when, its routing card) and the receiving agency's
-- figures are written in the same step.
-- The sender's API token must still stand (the web layer may have authenticated it from
-- memory): a token revoked since is refused here, and nothing is written.
-- status_index: the referral's status's index; agency_obligations: the destination's;
-- fields: JSON object of strings; score: the indexes' score; timers, owed: the deadlines
-- and the obligations (JSON lists of [score, member]); root_key: the root public key;
-- tally: the figures it adds (_lib.lua add_tally); sender: the person the token must
-- belong to. An onward referral (parent: the referral it forwards, else '') joins its
-- parent's onward set. changed_in, changed_out: the two agencies' change indexes
-- (index_change).
local ref, envelope, history, inbox, outbox, status_index, deadlines, audit, roster, root,
      obligations, cards, figures, ack_times, open_counts, agency_obligations,
      token, onward, changed_in, changed_out = unpack(KEYS)
local digest, envelope_bytes, fields, history_event, score, rid, timers, audit_event,
      roster_version, root_key, owed, card, tally, sender, parent = unpack(ARGV)
if redis.call('HGET', token, 'person') ~= sender then
  return 'token_revoked'
end
if redis.call('HGET', roster, 'version') ~= roster_version
    or redis.call('GET', root) ~= root_key then
  return 'roster_changed'
end
local before = stored_before(ref, 'envelope_digest', digest)
if before then return before end
redis.call('HSET', ref, unpack(field_list(fields)))
redis.call('SET', envelope, envelope_bytes)
redis.call('RPUSH', history, history_event)
redis.call('ZADD', inbox, score, rid)
redis.call('ZADD', outbox, score, rid)
redis.call('ZADD', status_index, score, rid)
index_change(ref, rid, changed_in, changed_out)
zadd_each(cjson.decode(timers), deadlines)
zadd_each(cjson.decode(owed), obligations, agency_obligations)
redis.call('HSET', cards, rid, card)
if parent ~= '' then redis.call('ZADD', onward, score, rid) end
add_tally(tally, figures, ack_times, open_counts)
append_audit(audit, audit_event)
return 'created'
