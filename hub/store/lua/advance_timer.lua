-- Finish a fired step: while this worker still holds the claim and the referral is still at
-- the generation the step was decided on, record the rung reached, schedule the next one
-- (or none), set the 'notified' receipt the first time, flag the stalled queue if asked,
-- and count how late the rung fired in the lateness histogram.
-- KEYS: ref, deadlines, claimed, stalled, history, lateness
-- ARGV: member, timer field, generation, next rung state ('' = ladder done), next due,
--       now, flag stalled ('1'/'0'), history event for the first notice ('' = none),
--       seconds late, the histogram's bucket for that
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 'lost' end
local generation = redis.call('HGET', KEYS[1], 'generation')
if not generation then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 'gone'
end
if generation ~= ARGV[3] then return 'stale' end
redis.call('ZREM', KEYS[3], ARGV[1])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
else
  redis.call('HDEL', KEYS[1], ARGV[2])
end
if ARGV[8] ~= '' and redis.call('HSETNX', KEYS[1], 'notified_at', ARGV[6]) == 1 then
  redis.call('RPUSH', KEYS[5], ARGV[8])
end
if ARGV[7] == '1' then
  redis.call('ZADD', KEYS[4], 'NX', ARGV[6], string.match(ARGV[1], '^[^:]+'))
end
redis.call('HINCRBY', KEYS[6], ARGV[10], 1)
redis.call('HINCRBY', KEYS[6], 'count', 1)
redis.call('HINCRBYFLOAT', KEYS[6], 'sum', ARGV[9])
redis.call('HSET', KEYS[6], 'last', ARGV[9])
return 'ok'
