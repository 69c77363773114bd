-- Narrow a referral's consent (the survivor took back part of it): replace the consent
-- record only if it is still the one the decision was made on, with history and audit.
-- stored: the consent as read; changed_in, changed_out: the change indexes (index_change).
local ref, history, audit, changed_in, changed_out = unpack(KEYS)
local stored, narrowed, history_event, audit_event, updated_at, rid = unpack(ARGV)
if redis.call('HGET', ref, 'consent') ~= stored then return 'stale' end
redis.call('HSET', ref, 'consent', narrowed, 'updated_at', updated_at)
redis.call('HINCRBY', ref, 'generation', 1)
index_change(ref, rid, changed_in, changed_out)
redis.call('RPUSH', history, history_event)
append_audit(audit, audit_event)
return 'ok'
