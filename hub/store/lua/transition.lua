-- Move a referral from one status to another in one atomic step: status and fields,
-- generation, history, status indexes, deadlines and audit event.
-- KEYS: ref, history, old status index, new status index, deadlines, audit,
--       claimed deadlines (a removed timer is dropped even while a worker holds it),
--       obligations, figures, ack times, open counts, the destination's obligations
-- ARGV: expected status, new status, fields (JSON object of strings), history event,
--       index score, referral id, deadline changes (JSON {remove = [...], add = [[score,
--       member]], due = [[score, member]]}: removed timers are dropped from the obligations
--       too), audit event, tally (see create_referral.lua)
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {'missing', ''} end
if current ~= ARGV[1] then return {'stale', current} end
local flat = {'status', ARGV[2]}
for k, v in pairs(cjson.decode(ARGV[3])) do
  flat[#flat + 1] = k
  flat[#flat + 1] = v
end
redis.call('HSET', KEYS[1], unpack(flat))
local generation = redis.call('HINCRBY', KEYS[1], 'generation', 1)
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[6])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6])
local changes = cjson.decode(ARGV[7])
for _, member in ipairs(changes['remove']) do
  redis.call('ZREM', KEYS[5], member)
  redis.call('ZREM', KEYS[7], member)
  redis.call('ZREM', KEYS[8], member)
  redis.call('ZREM', KEYS[12], member)
end
for _, entry in ipairs(changes['add']) do
  redis.call('ZADD', KEYS[5], entry[1], entry[2])
end
for _, entry in ipairs(changes['due']) do
  redis.call('ZADD', KEYS[8], entry[1], entry[2])
  redis.call('ZADD', KEYS[12], entry[1], entry[2])
end
local tally = cjson.decode(ARGV[9])
for field, by in pairs(tally['counts']) do redis.call('HINCRBY', KEYS[9], field, by) end
if tally['ack'] then redis.call('RPUSH', KEYS[10], tally['ack']) end
if tally['open'] ~= 0 then redis.call('HINCRBY', KEYS[11], tally['agency'], tally['open']) end
redis.call('XADD', KEYS[6], '*', 'event', ARGV[8])
return {'ok', tostring(generation)}
