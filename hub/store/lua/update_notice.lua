-- Record an attempt's outcome on a notice: its fields, the gateway's id that delivery
-- reports come back under, its next attempt; and release its claim. A notice that is not
-- there (committed on a primary that a failover lost, say) is not brought back as a stub
-- of outcome fields: only the claim is released.
-- KEYS: notice, sent-as key, deliveries, claimed deliveries
-- ARGV: notice id, fields (JSON object), keep the sent-as key ('1'/''), seconds it is kept,
--       next attempt's time ('' = none), release ('1'/'0')
local nid = ARGV[1]
local found = redis.call('EXISTS', KEYS[1]) == 1
if found then
  local flat = {}
  for field, value in pairs(cjson.decode(ARGV[2])) do
    flat[#flat + 1] = field
    flat[#flat + 1] = value
  end
  redis.call('HSET', KEYS[1], unpack(flat))
  if ARGV[3] == '1' then redis.call('SET', KEYS[2], nid, 'EX', ARGV[4]) end
  if ARGV[5] ~= '' then redis.call('ZADD', KEYS[3], ARGV[5], nid) end
end
if ARGV[5] ~= '' or ARGV[6] == '1' then redis.call('ZREM', KEYS[4], nid) end
return found and 1 or 0
