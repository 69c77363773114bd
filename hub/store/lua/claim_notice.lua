-- Commit one notice, gated on the referral: only while it is in one of the statuses the
-- timer watches and still at the generation the step was decided on. A notice whose key
-- exists is not made again (the idempotency key). The delivery is queued in the same step;
-- one that is due already is claimed at once for the caller to send (under a lease, so the
-- reaper hands it out again if the caller dies).
-- KEYS: ref, notice, notices of the referral, deliveries, audit, claimed deliveries
-- ARGV: generation, allowed statuses (JSON list), notice fields (JSON object of strings),
--       deliver at, notice id, audit event, now, lease expiry
local status = redis.call('HGET', KEYS[1], 'status')
if not status or redis.call('HGET', KEYS[1], 'generation') ~= ARGV[1] then return 'stale' end
local allowed = false
for _, s in ipairs(cjson.decode(ARGV[2])) do
  if s == status then allowed = true end
end
if not allowed then return 'stale' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'exists' end
local flat = {}
for k, v in pairs(cjson.decode(ARGV[3])) do
  flat[#flat + 1] = k
  flat[#flat + 1] = v
end
redis.call('HSET', KEYS[2], unpack(flat))
redis.call('RPUSH', KEYS[3], ARGV[5])
redis.call('XADD', KEYS[5], '*', 'event', ARGV[6])
if tonumber(ARGV[4]) <= tonumber(ARGV[7]) then
  redis.call('ZADD', KEYS[6], ARGV[8], ARGV[5])
  return 'claimed'
end
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
return 'created'
