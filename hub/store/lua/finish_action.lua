-- An action item done: its status, its timer and obligation gone, history and audit event,
-- in one step. 'gone' when there is no such item; 'done' when it was done before.
local action, actions, deadlines, claimed, obligations, agency_obligations,
      owner_obligations, history, audit = unpack(KEYS)
local aid, member, done_at, done_by, history_event, audit_event = unpack(ARGV)
local status = redis.call('HGET', action, 'status')
if not status then return 'gone' end
if status ~= 'open' then return 'done' end
redis.call('HSET', action, 'status', 'done', 'done_at', done_at, 'done_by', done_by)
redis.call('ZREM', actions, aid)
zrem_each({member}, deadlines, claimed, obligations, agency_obligations, owner_obligations)
redis.call('RPUSH', history, history_event)
append_audit(audit, audit_event)
return 'ok'
