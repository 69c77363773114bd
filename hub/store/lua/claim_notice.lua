-- Commit one notice, gated on the referral: only while it is in one of the statuses the
-- timer watches and still at the generation the step was decided on. A notice whose key
-- exists is not made again (the idempotency key). The delivery is queued in the same step;
-- one that is due already is claimed at once for the caller to send (under a lease, so the
-- reaper hands it out again if the caller dies).
-- notices: the referral's notices; claimed: claimed deliveries; statuses: the allowed
-- statuses (JSON list); fields: the notice's (JSON object of strings); lease_until: the
-- lease's expiry. code: the notice's claim code's key ('-' for none), kept for code_ttl
-- seconds with code_value; codes_to: the codes sent to its number, for a reply of "1".
local ref, notice, notices, deliveries, audit, claimed, code, codes_to = unpack(KEYS)
local generation, statuses, fields, deliver_at, nid, audit_event, now, lease_until, code_value,
      code_ttl = unpack(ARGV)
local status = redis.call('HGET', ref, 'status')
if not status or redis.call('HGET', ref, 'generation') ~= generation then return 'stale' end
local allowed = false
for _, s in ipairs(cjson.decode(statuses)) do
  if s == status then allowed = true end
end
if not allowed then return 'stale' end
if redis.call('EXISTS', notice) == 1 then return 'exists' end
redis.call('HSET', notice, unpack(field_list(fields)))
redis.call('RPUSH', notices, nid)
local ttl = tonumber(code_ttl)
if ttl > 0 and redis.call('SET', code, code_value, 'NX', 'EX', ttl) then
  redis.call('SADD', codes_to, code)
  if redis.call('TTL', codes_to) < ttl then redis.call('EXPIRE', codes_to, ttl) end
end
append_audit(audit, audit_event)
if tonumber(deliver_at) <= tonumber(now) then
  redis.call('ZADD', claimed, lease_until, nid)
  return 'claimed'
end
redis.call('ZADD', deliveries, deliver_at, nid)
return 'created'
