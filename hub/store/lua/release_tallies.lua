-- Tallies of refusals whose window is over become audit events: the tally member is the
-- event (JSON) without its count; the count is added and the event written to the intake,
-- and the tally goes. At most 100 at a time.
-- KEYS: tallies, tallies due, audit intake
-- ARGV: now
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, member in ipairs(due) do
  local count = redis.call('HGET', KEYS[1], member)
  if count then
    local event = cjson.decode(member)
    event['count'] = tonumber(count)
    redis.call('XADD', KEYS[3], '*', 'event', cjson.encode(event))
    redis.call('HDEL', KEYS[1], member)
  end
  redis.call('ZREM', KEYS[2], member)
end
return #due
