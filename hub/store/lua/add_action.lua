-- A team meeting's action item on a referral, in one step: the item, the open items by due
-- date, its timer (the engine tells the owner agency when it falls due) and its obligation
-- (the dashboard's queue: the receiving agency's and the owner agency's), the referral's
-- list of items, history and audit event.
local ref, action, actions, referral_actions, deadlines, obligations, agency_obligations,
      owner_obligations, history, audit = unpack(KEYS)
local aid, fields, due, member, history_event, audit_event = unpack(ARGV)
if redis.call('EXISTS', ref) == 0 then return 'gone' end
if redis.call('EXISTS', action) == 1 then return 'exists' end
redis.call('HSET', action, unpack(field_list(fields)))
redis.call('ZADD', actions, due, aid)
redis.call('RPUSH', referral_actions, aid)
zadd_each({{due, member}}, deadlines, obligations, agency_obligations, owner_obligations)
redis.call('RPUSH', history, history_event)
append_audit(audit, audit_event)
return 'ok'
