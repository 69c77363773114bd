-- Count a failed sign-in in each of its scopes (the client's address, and the token id when
-- it names a real token) for the current window, and record it: each one up to the limit as
-- its own audit event; past the limit, only as one more in the window's tally for its
-- source (released into the log as one event with a count when the window is over), so a
-- flood of guesses costs a few counters, not an audit event each.
-- counters: the scopes' counters for this window; ttl: seconds they live; tally_member:
-- the tally the failure counts in past the limit, due_at: when that tally is due.
local audit, tallies, tallies_due = unpack(KEYS)
local counters = rest(KEYS, 4)
local ttl, limit, audit_event, tally_member, due_at = unpack(ARGV)
local highest = 0
for _, counter in ipairs(counters) do
  local count = redis.call('INCR', counter)
  if count == 1 then redis.call('EXPIRE', counter, ttl) end
  if count > highest then highest = count end
end
if highest <= tonumber(limit) then
  append_audit(audit, audit_event)
else
  redis.call('HINCRBY', tallies, tally_member, 1)
  redis.call('ZADD', tallies_due, 'NX', due_at, tally_member)
end
return highest
