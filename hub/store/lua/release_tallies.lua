-- Tallies of refusals whose window is over become audit events: the tally member is the
-- event (JSON) without its count; the count is added and the event written to the intake,
-- and the tally goes. At most 100 at a time.
local tallies, tallies_due, audit = unpack(KEYS)
local now = unpack(ARGV)
local due = redis.call('ZRANGEBYSCORE', tallies_due, '-inf', now, 'LIMIT', 0, 100)
for _, member in ipairs(due) do
  local count = redis.call('HGET', tallies, member)
  if count then
    local event = cjson.decode(member)
    event['count'] = tonumber(count)
    append_audit(audit, cjson.encode(event))
    redis.call('HDEL', tallies, member)
  end
  redis.call('ZREM', tallies_due, member)
end
return #due
