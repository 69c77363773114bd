-- Apply a gateway's delivery report to a notice, only when it is further along than the
-- last one applied (so a repeated or late report changes nothing). A message the carrier
-- could not deliver is marked dead and queued at once, so the next channel is tried.
-- rank: the status's progress rank; undelivered: '1'/'0'.
local notice, deliveries, audit = unpack(KEYS)
local status, rank, now, error_code, undelivered, nid, audit_event = unpack(ARGV)
if redis.call('EXISTS', notice) == 0 then return 'unknown' end
local last = tonumber(redis.call('HGET', notice, 'delivery_rank') or '0')
if tonumber(rank) <= last then return 'ignored' end
redis.call('HSET', notice, 'delivery_status', status, 'delivery_rank', rank,
           'delivery_at', now, 'delivery_error', error_code)
append_audit(audit, audit_event)
if undelivered == '1' and redis.call('HGET', notice, 'status') == 'sent' then
  redis.call('HSET', notice, 'status', 'dead',
             'last_error', 'the carrier could not deliver it (' .. status .. ')')
  redis.call('ZADD', deliveries, now, nid)
  return 'undelivered'
end
return 'applied'
