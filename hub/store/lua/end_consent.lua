-- Consent ended (withdrawn, or ran out): in one step the referral becomes 'revoked' or
-- 'expired' (a closed one keeps its status), every timer stops, its envelope, reply
-- envelopes and attachment blobs are deleted (their content-free metadata stays, for the
-- figures), the step that tells everyone who had access is queued, and the audit event is
-- written. A reply or attachment arriving later is refused by put_blob.lua.
-- (Reply and attachment keys are derived from the referral's key: one Redis, not a cluster.)
-- KEYS: ref, history, old status index, new status index, deadlines, claimed deadlines,
--       audit, envelope, replies list, attachments list, obligations, figures, ack times,
--       open counts, the destination's obligations
-- ARGV: expected status, new status ('' keeps it), fields (JSON object of strings),
--       history event, index score, referral id, audit event, when the notice step is due,
--       its timer member ('' for none), obligations to drop (JSON list of members),
--       tally (see create_referral.lua)
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {'missing', ''} end
if current ~= ARGV[1] then return {'stale', current} end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'status', ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[6])
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6])
end
local flat = {}
for k, v in pairs(cjson.decode(ARGV[3])) do
  flat[#flat + 1] = k
  flat[#flat + 1] = v
end
if #flat > 0 then redis.call('HSET', KEYS[1], unpack(flat)) end
local generation = redis.call('HINCRBY', KEYS[1], 'generation', 1)
redis.call('RPUSH', KEYS[2], ARGV[4])
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 2) == 't:' then
    local member = ARGV[6] .. ':' .. string.sub(field, 3)
    redis.call('ZREM', KEYS[5], member)
    redis.call('ZREM', KEYS[6], member)
    redis.call('HDEL', KEYS[1], field)
  end
end
redis.call('DEL', KEYS[8])
for _, reply in ipairs(redis.call('LRANGE', KEYS[9], 0, -1)) do
  redis.call('DEL', KEYS[1] .. ':reply:' .. reply .. ':envelope')
end
for _, index in ipairs(redis.call('LRANGE', KEYS[10], 0, -1)) do
  redis.call('DEL', KEYS[1] .. ':attachment:' .. index)
end
for _, member in ipairs(cjson.decode(ARGV[10])) do
  redis.call('ZREM', KEYS[11], member)
  redis.call('ZREM', KEYS[15], member)
end
local tally = cjson.decode(ARGV[11])
for field, by in pairs(tally['counts']) do redis.call('HINCRBY', KEYS[12], field, by) end
if tally['ack'] then redis.call('RPUSH', KEYS[13], tally['ack']) end
if tally['open'] ~= 0 then redis.call('HINCRBY', KEYS[14], tally['agency'], tally['open']) end
if ARGV[9] ~= '' then redis.call('ZADD', KEYS[5], ARGV[8], ARGV[9]) end
redis.call('XADD', KEYS[7], '*', 'event', ARGV[7])
return {'ok', tostring(generation)}
