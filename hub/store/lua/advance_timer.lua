-- Finish a fired step: while this worker still holds the claim and the referral is still at
-- the generation the step was decided on, record the rung reached, schedule the next one
-- (or none), set the 'notified' receipt the first time, and count how late the rung fired in the lateness histogram.
-- next_state: the next rung ('' = ladder done); first_notice: the
-- history event for the first notice ('' = none); late: seconds late, bucket: the
-- histogram's bucket for that.
local ref, deadlines, claimed, history, lateness = unpack(KEYS)
local member, timer_field, generation, next_state, next_due, now, first_notice,
      late, bucket = unpack(ARGV)
if not redis.call('ZSCORE', claimed, member) then return 'lost' end
local current = redis.call('HGET', ref, 'generation')
if not current then
  redis.call('ZREM', claimed, member)
  return 'gone'
end
if current ~= generation then return 'stale' end
redis.call('ZREM', claimed, member)
if next_state ~= '' then
  redis.call('HSET', ref, timer_field, next_state)
  redis.call('ZADD', deadlines, next_due, member)
else
  redis.call('HDEL', ref, timer_field)
end
if first_notice ~= '' and redis.call('HSETNX', ref, 'notified_at', now) == 1 then
  redis.call('RPUSH', history, first_notice)
end
redis.call('HINCRBY', lateness, bucket, 1)
redis.call('HINCRBY', lateness, 'count', 1)
redis.call('HINCRBYFLOAT', lateness, 'sum', late)
redis.call('HSET', lateness, 'last', late)
return 'ok'
