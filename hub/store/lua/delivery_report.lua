-- Apply a gateway's delivery report to a notice, only when it is further along than the
-- last one applied (so a repeated or late report changes nothing). A message the carrier
-- could not deliver is marked dead and queued at once, so the next channel is tried.
-- KEYS: notice, deliveries, audit
-- ARGV: delivery status, its progress rank, now, error code, undelivered ('1'/'0'),
--       notice id, audit event
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
local last = tonumber(redis.call('HGET', KEYS[1], 'delivery_rank') or '0')
if tonumber(ARGV[2]) <= last then return 'ignored' end
redis.call('HSET', KEYS[1], 'delivery_status', ARGV[1], 'delivery_rank', ARGV[2],
           'delivery_at', ARGV[3], 'delivery_error', ARGV[4])
redis.call('XADD', KEYS[3], '*', 'event', ARGV[7])
if ARGV[5] == '1' and redis.call('HGET', KEYS[1], 'status') == 'sent' then
  redis.call('HSET', KEYS[1], 'status', 'dead',
             'last_error', 'the carrier could not deliver it (' .. ARGV[1] .. ')')
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[6])
  return 'undelivered'
end
return 'applied'
