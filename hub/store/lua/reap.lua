-- Return claims whose lease expired (their worker died) to the queue, due now.
-- KEYS: claimed, queue
-- ARGV: now, most to return
local lost = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0,
                        tonumber(ARGV[2]))
for _, member in ipairs(lost) do
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZADD', KEYS[2], ARGV[1], member)
end
return #lost
