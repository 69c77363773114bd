-- Move audit events from the intake stream into the sealed log, in one step and only if
-- no other sealer moved the head meanwhile. An event that names an existing referral is
-- also added to that referral's trail index, as "seq id hash" of its log entry (so reading
-- the trail, and verifying the log, can check each index entry against the log); one that
-- names a referral that does not exist (a probe for a made-up id) is sealed but not indexed.
-- expected, count: the log's entry count as read, and after this batch; hash, last_id: the
-- new head's hash and last intake id; entries: six values for each entry: its intake id,
-- its sealed JSON, its hash, the key of its referral's trail index ('' when it names no
-- referral), that referral's key, and the index entry.
-- (Index and referral keys are derived from the referral's id: one Redis, not a cluster.)
local intake, log, head = unpack(KEYS)
local expected, count, hash, last_id = unpack(ARGV)
local entries = rest(ARGV, 5)
if (redis.call('HGET', head, 'count') or '0') ~= expected then return 'moved' end
local ids = {}
for i = 1, #entries, 6 do
  local id, entry, entry_hash, trail, referral, index_entry = unpack(entries, i, i + 5)
  redis.call('XADD', log, id, 'entry', entry, 'hash', entry_hash)
  if trail ~= '' and redis.call('EXISTS', referral) == 1 then
    redis.call('RPUSH', trail, index_entry)
  end
  ids[#ids + 1] = id
end
redis.call('HSET', head, 'count', count, 'hash', hash, 'id', last_id)
if #ids > 0 then redis.call('XDEL', intake, unpack(ids)) end
return 'ok'
