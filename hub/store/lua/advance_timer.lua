-- Finish a fired step: while this worker still holds the claim and the referral is still at
-- the generation the step was decided on, record the rung reached, schedule the next one
-- (or none), set the 'notified' receipt the first time, and count how late the rung fired
-- in the lateness histogram. A claim's pause puts the acknowledgement's next rung off to
-- its end (claim_referral.lua).
-- next_state: the next rung ('' = ladder done); first_notice: the
-- history event for the first notice ('' = none); late: seconds late, bucket: the
-- histogram's bucket for that; skipped: the history events of rungs passed over because no
-- one was on duty for them (a JSON list of their JSON, '[]' for none). The rung is a
-- change of the Task (its escalation level): escalated_at and the change indexes.
local ref, deadlines, claimed, history, lateness, changed_in, changed_out = unpack(KEYS)
local member, timer_field, generation, next_state, next_due, now, first_notice,
      late, bucket, skipped, rid = unpack(ARGV)
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
  local held = tonumber(redis.call('HGET', ref, 'claim_until') or '0')
  if timer_field == 't:ack' and held > tonumber(next_due) then next_due = held end
  redis.call('ZADD', deadlines, next_due, member)
else
  redis.call('HDEL', ref, timer_field)
end
for _, event in ipairs(cjson.decode(skipped)) do redis.call('RPUSH', history, event) end
if first_notice ~= '' and redis.call('HSETNX', ref, 'notified_at', now) == 1 then
  redis.call('RPUSH', history, first_notice)
end
redis.call('HSET', ref, 'escalated_at', now)
index_at(rid, now, changed_in, changed_out)
redis.call('HINCRBY', lateness, bucket, 1)
redis.call('HINCRBY', lateness, 'count', 1)
redis.call('HINCRBYFLOAT', lateness, 'sum', late)
redis.call('HSET', lateness, 'last', late)
return 'ok'
