-- Record a delivery receipt (notified, opened) the first time it happens: the field, a
-- history entry, and an audit event; later calls only audit the access.
-- KEYS: ref, history, audit
-- ARGV: field name, time, history event, audit event
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
local first = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if first == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[3])
end
redis.call('XADD', KEYS[3], '*', 'event', ARGV[4])
return first == 1 and 'first' or 'again'
