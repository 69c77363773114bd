-- An overdue action item's ladder moves on: the engine's claim on its timer is given back
-- and, while the item is open and a rung is left (step not ''), the next rung is set on it
-- and its timer waits for that rung's time. 'ok'; 'spent' when no rung is left (its
-- obligation stays on the queue until it is done); 'closed' when it is no longer open.
local action, deadlines, claimed = unpack(KEYS)
local member, step, due = unpack(ARGV)
redis.call('ZREM', claimed, member)
if redis.call('HGET', action, 'status') ~= 'open' then return 'closed' end
if step == '' then return 'spent' end
redis.call('HSET', action, 'step', step)
redis.call('ZADD', deadlines, due, member)
return 'ok'
