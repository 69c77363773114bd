-- Claim due entries of a timer queue: each moves to the claimed set under a lease, in one
-- step, so two tickers never claim the same entry. A claim that took entries leaves a
-- record of them under the claimant's token for the length of the lease: if Redis stalled
-- and ran the claim after the claimant had given up waiting for its answer, the claimant
-- finds what it took there instead of leaving it to the lease.
-- KEYS: queue, claimed, this claim's record
-- ARGV: now, lease expiry, most to claim, seconds the record is kept (0: keep none)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0,
                       tonumber(ARGV[3]))
for i = 1, #due, 2 do
  redis.call('ZREM', KEYS[1], due[i])
  redis.call('ZADD', KEYS[2], ARGV[2], due[i])
end
if #due > 0 and tonumber(ARGV[4]) > 0 then
  redis.call('SET', KEYS[3], cjson.encode(due), 'EX', math.max(1, math.ceil(tonumber(ARGV[4]))))
end
return due
