-- Consent ended (withdrawn, or ran out): in one step the referral becomes 'revoked' or
-- 'expired' (a closed one keeps its status), every timer stops, its envelope, reply
-- envelopes, attachment blobs and key grants are deleted (their content-free metadata stays, for the
-- figures), the step that tells everyone who had access is queued, and the audit event is
-- written. A reply or attachment arriving later is refused by put_blob.lua.
-- (Reply and attachment keys are derived from the referral's key: one Redis, not a cluster.)
-- claimed: claimed deadlines; agency_obligations: the destination's; new_status: '' keeps
-- it; fields: JSON object of strings; score: the indexes' score; notify_at, notify_member:
-- when the notice step is due, and its timer member ('' for none); dropped: obligations to
-- drop (JSON list of members); tally: see _lib.lua add_tally; changed_in, changed_out:
-- the change indexes (index_change). Its open action items close (_lib.lua close_actions).
local ref, history, old_index, new_index, deadlines, claimed, audit, envelope, replies,
      attachments, obligations, figures, ack_times, open_counts,
      agency_obligations, grants, granted, changed_in, changed_out, referral_actions,
      actions = unpack(KEYS)
local expected, new_status, fields, history_event, score, rid, audit_event, notify_at,
      notify_member, dropped, tally, action_prefix, closed_at, close_history,
      close_audit = unpack(ARGV)
local current = redis.call('HGET', ref, 'status')
if not current then return {'missing', ''} end
if current ~= expected then return {'stale', current} end
if new_status ~= '' then
  redis.call('HSET', ref, 'status', new_status)
  redis.call('ZREM', old_index, rid)
  redis.call('ZADD', new_index, score, rid)
end
local flat = field_list(fields)
if #flat > 0 then redis.call('HSET', ref, unpack(flat)) end
local generation = redis.call('HINCRBY', ref, 'generation', 1)
index_change(ref, rid, changed_in, changed_out)
redis.call('RPUSH', history, history_event)
for _, field in ipairs(redis.call('HKEYS', ref)) do
  if string.sub(field, 1, 2) == 't:' then
    local member = rid .. ':' .. string.sub(field, 3)
    redis.call('ZREM', deadlines, member)
    redis.call('ZREM', claimed, member)
    redis.call('HDEL', ref, field)
  end
end
redis.call('DEL', envelope, grants, granted)
for _, reply in ipairs(redis.call('LRANGE', replies, 0, -1)) do
  redis.call('DEL', ref .. ':reply:' .. reply .. ':envelope')
end
for _, index in ipairs(redis.call('LRANGE', attachments, 0, -1)) do
  redis.call('DEL', ref .. ':attachment:' .. index)
end
zrem_each(cjson.decode(dropped), obligations, agency_obligations)
add_tally(tally, figures, ack_times, open_counts)
if notify_member ~= '' then redis.call('ZADD', deadlines, notify_at, notify_member) end
append_audit(audit, audit_event)
close_actions(rid, referral_actions, actions, action_prefix, deadlines, claimed, obligations,
              agency_obligations, history, audit, closed_at, close_history, close_audit)
return {'ok', tostring(generation)}
