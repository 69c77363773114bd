-- Claim due entries of a timer queue: each moves to the claimed set under a lease, in one
-- step, so two tickers never claim the same entry. A claim that took entries leaves a
-- record of them under the claimant's token for the length of the lease: if Redis stalled
-- and ran the claim after the claimant had given up waiting for its answer, the claimant
-- finds what it took there instead of leaving it to the lease.
-- lease_until: the lease's expiry; most: how many to claim at most; keep_for: seconds the
-- record is kept (0: keep none).
local queue, claimed, record = unpack(KEYS)
local now, lease_until, most, keep_for = unpack(ARGV)
local due = redis.call('ZRANGEBYSCORE', queue, '-inf', now, 'WITHSCORES', 'LIMIT', 0,
                       tonumber(most))
for i = 1, #due, 2 do
  redis.call('ZREM', queue, due[i])
  redis.call('ZADD', claimed, lease_until, due[i])
end
if #due > 0 and tonumber(keep_for) > 0 then
  redis.call('SET', record, cjson.encode(due), 'EX', math.max(1, math.ceil(tonumber(keep_for))))
end
return due
