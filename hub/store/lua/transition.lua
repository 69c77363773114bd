-- Move a referral from one status to another in one atomic step: status and fields,
-- generation, history, status indexes, deadlines and audit event.
-- claimed: claimed deadlines (a removed timer is dropped even while a worker holds it);
-- agency_obligations: the destination's; fields: JSON object of strings; score: the
-- indexes' score; changes: the deadlines' (JSON {remove = [...], add = [[score, member]],
-- due = [[score, member]]}: removed timers are dropped from the obligations too); tally:
-- see _lib.lua add_tally; changed_in, changed_out: the change indexes (index_change).
-- A referral that closes closes its open action items (_lib.lua close_actions).
local ref, history, old_index, new_index, deadlines, audit, claimed, obligations, figures,
      ack_times, open_counts, agency_obligations, changed_in, changed_out, referral_actions,
      actions = unpack(KEYS)
local expected, new_status, fields, history_event, score, rid, changes, audit_event,
      tally, action_prefix, closed_at, close_history, close_audit = unpack(ARGV)
local current = redis.call('HGET', ref, 'status')
if not current then return {'missing', ''} end
if current ~= expected then return {'stale', current} end
redis.call('HSET', ref, unpack(field_list(fields, 'status', new_status)))
local generation = redis.call('HINCRBY', ref, 'generation', 1)
redis.call('RPUSH', history, history_event)
redis.call('ZREM', old_index, rid)
redis.call('ZADD', new_index, score, rid)
index_change(ref, rid, changed_in, changed_out)
local deadline = cjson.decode(changes)
zrem_each(deadline['remove'], deadlines, claimed, obligations, agency_obligations)
zadd_each(deadline['add'], deadlines)
zadd_each(deadline['due'], obligations, agency_obligations)
add_tally(tally, figures, ack_times, open_counts)
append_audit(audit, audit_event)
close_actions(rid, referral_actions, actions, action_prefix, deadlines, claimed, obligations,
              agency_obligations, history, audit, closed_at, close_history, close_audit)
return {'ok', tostring(generation)}
