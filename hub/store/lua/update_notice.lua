-- Record an attempt's outcome on a notice: its fields, the gateway's id that delivery
-- reports come back under, its next attempt; and release its claim. A notice that is not
-- there (committed on a primary that a failover lost, say) is not brought back as a stub
-- of outcome fields: only the claim is released.
-- sent_as: the key the gateway's id names; claimed: claimed deliveries; fields: JSON
-- object; keep_sent_as: keep the sent-as key ('1'/''), for keep_for seconds; retry_at: the
-- next attempt's time ('' = none); release: '1'/'0'.
local notice, sent_as, deliveries, claimed = unpack(KEYS)
local nid, fields, keep_sent_as, keep_for, retry_at, release = unpack(ARGV)
local found = redis.call('EXISTS', notice) == 1
if found then
  redis.call('HSET', notice, unpack(field_list(fields)))
  if keep_sent_as == '1' then redis.call('SET', sent_as, nid, 'EX', keep_for) end
  if retry_at ~= '' then redis.call('ZADD', deliveries, retry_at, nid) end
end
if retry_at ~= '' or release == '1' then redis.call('ZREM', claimed, nid) end
return found and 1 or 0
