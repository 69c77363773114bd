-- Return claims whose lease expired (their worker died) to the queue, due now.
-- most: how many to return at most.
local claimed, queue = unpack(KEYS)
local now, most = unpack(ARGV)
local lost = redis.call('ZRANGEBYSCORE', claimed, '-inf', now, 'LIMIT', 0, tonumber(most))
for _, member in ipairs(lost) do
  redis.call('ZREM', claimed, member)
  redis.call('ZADD', queue, now, member)
end
return #lost
