-- Move audit events from the intake stream into the sealed log, in one step and only if
-- no other sealer moved the head meanwhile. An event that names an existing referral is
-- also added to that referral's trail index, as "seq id hash" of its log entry (so reading
-- the trail, and verifying the log, can check each index entry against the log); one that
-- names a referral that does not exist (a probe for a made-up id) is sealed but not indexed.
-- KEYS: intake, log, head
-- ARGV: expected count, new count, new head hash, last intake id,
--       then for each entry: its intake id, its sealed JSON, its hash, the key of its
--       referral's trail index ('' when it names no referral), that referral's key, and
--       the index entry
-- (Index and referral keys are derived from the referral's id: one Redis, not a cluster.)
if (redis.call('HGET', KEYS[3], 'count') or '0') ~= ARGV[1] then return 'moved' end
local ids = {}
for i = 5, #ARGV, 6 do
  redis.call('XADD', KEYS[2], ARGV[i], 'entry', ARGV[i + 1], 'hash', ARGV[i + 2])
  if ARGV[i + 3] ~= '' and redis.call('EXISTS', ARGV[i + 4]) == 1 then
    redis.call('RPUSH', ARGV[i + 3], ARGV[i + 5])
  end
  ids[#ids + 1] = ARGV[i]
end
redis.call('HSET', KEYS[3], 'count', ARGV[2], 'hash', ARGV[3], 'id', ARGV[4])
if #ids > 0 then redis.call('XDEL', KEYS[1], unpack(ids)) end
return 'ok'
