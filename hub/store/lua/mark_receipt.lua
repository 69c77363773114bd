-- Record a delivery receipt (notified, opened) the first time it happens: the field, a
-- history entry, the change indexes (a Task's receipts are part of it), and an audit
-- event; later calls only audit the access.
local ref, history, audit, changed_in, changed_out = unpack(KEYS)
local field, at, history_event, audit_event, rid = unpack(ARGV)
if redis.call('EXISTS', ref) == 0 then return 'missing' end
local first = redis.call('HSETNX', ref, field, at)
if first == 1 then
  redis.call('RPUSH', history, history_event)
  index_at(rid, at, changed_in, changed_out)
end
append_audit(audit, audit_event)
return first == 1 and 'first' or 'again'
