-- Store a reply or an attachment once: the same bytes again are accepted, other bytes
-- under the same name are a conflict; nothing once consent was withdrawn or ran out.
-- Metadata, list membership and audit go together.
-- KEYS: blob, meta hash, member list, ref, history, audit
-- ARGV: digest, bytes, fields (JSON object of strings), member, history event, audit event,
--       the referral's counter field for this kind of blob
local status = redis.call('HGET', KEYS[4], 'status')
if not status then return 'missing' end
if status == 'revoked' or status == 'expired' then return 'closed' end  -- content deleted
local existing = redis.call('HGET', KEYS[2], 'digest')
if existing then
  if existing == ARGV[1] then return 'exists' end
  return 'conflict'
end
local flat = {'digest', ARGV[1]}
for k, v in pairs(cjson.decode(ARGV[3])) do
  flat[#flat + 1] = k
  flat[#flat + 1] = v
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], unpack(flat))
redis.call('RPUSH', KEYS[3], ARGV[4])
redis.call('HINCRBY', KEYS[4], ARGV[7], 1)
redis.call('RPUSH', KEYS[5], ARGV[5])
redis.call('XADD', KEYS[6], '*', 'event', ARGV[6])
return 'created'
