-- Append a roster to the roster log (docs/envelope.md, "Roster log") unless it is already
-- the newest logged for its agency; only if the log still has the length the entry was
-- computed for (its hash chain names the head it follows), else 'moved' and the caller
-- computes it again. The log is append-only: nothing here or elsewhere removes an entry,
-- and only RPUSH and HSET touch it (the hub's Redis user may not SET outside the keys
-- meant to go: config/redis/hub-acl.txt). The head is the hash's field ' head' (an agency
-- id never starts with a space).
local HEAD_FIELD = ' head'
local log, latest = unpack(KEYS)
local expected, agency, digest, entry, new_head = unpack(ARGV)
if redis.call('HGET', latest, agency) == digest then return 'same' end
if redis.call('LLEN', log) ~= tonumber(expected) then return 'moved' end
redis.call('RPUSH', log, entry)
redis.call('HSET', latest, agency, digest, HEAD_FIELD, new_head)
return 'ok'
