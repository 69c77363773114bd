-- Claim due entries of a timer queue: each moves to the claimed set under a lease, in one
-- step, so two tickers never claim the same entry.
-- KEYS: queue, claimed
-- ARGV: now, lease expiry, most to claim
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0,
                       tonumber(ARGV[3]))
for i = 1, #due, 2 do
  redis.call('ZREM', KEYS[1], due[i])
  redis.call('ZADD', KEYS[2], ARGV[2], due[i])
end
return due
