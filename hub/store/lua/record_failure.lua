-- Count a failed sign-in in each of its scopes (the client's address, and the token id when
-- it names a real token) for the current window, and record it: each one up to the limit as
-- its own audit event; past the limit, only as one more in the window's tally for its
-- source (released into the log as one event with a count when the window is over), so a
-- flood of guesses costs a few counters, not an audit event each.
-- KEYS: the scopes' counters for this window..., audit intake, tallies, tallies due
-- ARGV: seconds the counters live, limit, audit event, tally member, when the tally is due
local scopes = #KEYS - 3
local highest = 0
for i = 1, scopes do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], ARGV[1]) end
  if count > highest then highest = count end
end
if highest <= tonumber(ARGV[2]) then
  redis.call('XADD', KEYS[scopes + 1], '*', 'event', ARGV[3])
else
  redis.call('HINCRBY', KEYS[scopes + 2], ARGV[4], 1)
  redis.call('ZADD', KEYS[scopes + 3], 'NX', ARGV[5], ARGV[4])
end
return highest
