-- Create a referral in one atomic step: metadata, envelope bytes, history, indexes,
-- deadlines (the acknowledgement ladder's first rung, the end of consent) and audit event,
-- or nothing at all.
-- The referral was routed by a roster the service verified; if the destination's roster
-- or root changed since, nothing is written and the service verifies again.
-- The queue's indexes (what it owes by when, its routing card) and the receiving agency's
-- figures are written in the same step.
-- The sender's API token must still stand (the web layer may have authenticated it from
-- memory): a token revoked since is refused here, and nothing is written.
-- KEYS: ref, envelope, history, inbox, outbox, status index, deadlines, audit, roster, root,
--       obligations, cards, figures, ack times, open counts, the destination's obligations,
--       the sender's token
-- ARGV: envelope digest, envelope bytes, fields (JSON object of strings), history event,
--       index score, referral id, deadlines (JSON list of [score, member]), audit event,
--       roster version, root public key, obligations (JSON list of [score, member]),
--       card, tally (JSON {agency, counts = {field = n}, open = n, ack = seconds?}),
--       the sender (the person the token must belong to)
if redis.call('HGET', KEYS[17], 'person') ~= ARGV[14] then
  return 'token_revoked'
end
if redis.call('HGET', KEYS[9], 'version') ~= ARGV[9] or redis.call('GET', KEYS[10]) ~= ARGV[10] then
  return 'roster_changed'
end
local existing = redis.call('HGET', KEYS[1], 'envelope_digest')
if existing then
  if existing == ARGV[1] then return 'exists' end
  return 'conflict'
end
local flat = {}
for k, v in pairs(cjson.decode(ARGV[3])) do
  flat[#flat + 1] = k
  flat[#flat + 1] = v
end
redis.call('HSET', KEYS[1], unpack(flat))
redis.call('SET', KEYS[2], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[6], ARGV[5], ARGV[6])
for _, entry in ipairs(cjson.decode(ARGV[7])) do
  redis.call('ZADD', KEYS[7], entry[1], entry[2])
end
for _, entry in ipairs(cjson.decode(ARGV[11])) do
  redis.call('ZADD', KEYS[11], entry[1], entry[2])
  redis.call('ZADD', KEYS[16], entry[1], entry[2])
end
redis.call('HSET', KEYS[12], ARGV[6], ARGV[12])
local tally = cjson.decode(ARGV[13])
for field, by in pairs(tally['counts']) do redis.call('HINCRBY', KEYS[13], field, by) end
if tally['ack'] then redis.call('RPUSH', KEYS[14], tally['ack']) end
if tally['open'] ~= 0 then redis.call('HINCRBY', KEYS[15], tally['agency'], tally['open']) end
redis.call('XADD', KEYS[8], '*', 'event', ARGV[8])
return 'created'
