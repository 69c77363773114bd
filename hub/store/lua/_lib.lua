-- The prelude: scripts.py puts it in front of every script in this folder before hashing
-- the script, so each runs with these helpers (locals: Redis forbids a script globals).
-- What several scripts do alike is written here once.

-- The values of KEYS or ARGV from index `from` on: what follows a script's named ones.
local function rest(list, from)
  local tail = {}
  for i = from, #list do tail[#tail + 1] = list[i] end
  return tail
end

-- A JSON object of strings as HSET's field, value list, after the field, value pairs given.
local function field_list(json, ...)
  local flat = {...}
  for field, value in pairs(cjson.decode(json)) do
    flat[#flat + 1] = field
    flat[#flat + 1] = value
  end
  return flat
end

-- 'exists' when the hash field holds `digest` already, 'conflict' when it holds other
-- bytes' digest, nil when it holds none: what storing content once answers.
local function stored_before(key, field, digest)
  local existing = redis.call('HGET', key, field)
  if not existing then return nil end
  return existing == digest and 'exists' or 'conflict'
end

-- Each [score, member] of `entries` added to every sorted set named after it.
local function zadd_each(entries, ...)
  local sets = {...}
  for _, entry in ipairs(entries) do
    for _, set in ipairs(sets) do redis.call('ZADD', set, entry[1], entry[2]) end
  end
end

-- Each of `members` removed from every sorted set named after it.
local function zrem_each(members, ...)
  local sets = {...}
  for _, member in ipairs(members) do
    for _, set in ipairs(sets) do redis.call('ZREM', set, member) end
  end
end

-- What a change adds to the receiving agency's figures (store/tallies.py Tally, as JSON:
-- {agency, counts = {field = n}, open = n, ack = seconds?}): the day's counters, the
-- seconds to acknowledge, the open count.
local function add_tally(json, figures, ack_times, open_counts)
  local tally = cjson.decode(json)
  for field, by in pairs(tally['counts']) do redis.call('HINCRBY', figures, field, by) end
  if tally['ack'] then redis.call('RPUSH', ack_times, tally['ack']) end
  if tally['open'] ~= 0 then redis.call('HINCRBY', open_counts, tally['agency'], tally['open']) end
end

-- The referral `rid` moved up to `at` in the receiving and the sending agency's change
-- indexes (keys.py changed_in, changed_out): never down, so a score is its latest change.
local function index_at(rid, at, changed_in, changed_out)
  redis.call('ZADD', changed_in, 'GT', at, rid)
  redis.call('ZADD', changed_out, 'GT', at, rid)
end

-- The same at its updated_at, as its hash `ref` holds it now.
local function index_change(ref, rid, changed_in, changed_out)
  index_at(rid, redis.call('HGET', ref, 'updated_at'), changed_in, changed_out)
end

-- An audit event, into the intake stream the sealer reads (store/audit.py).
local function append_audit(audit, event)
  redis.call('XADD', audit, '*', 'event', event)
end

-- A referral that closes closes its open action items (a case review's): each item's
-- status, its timer (claimed or not) and its obligations (everyone's, the receiving
-- agency's, the owner agency's: `obligations` .. ':' .. owner) go; the history and audit
-- events are said once, when one was open ('' for close_audit: the change does not close
-- it). Item keys are `action_prefix` .. id: one Redis, not a cluster.
local function close_actions(rid, referral_actions, actions, action_prefix, deadlines,
                             claimed, obligations, agency_obligations, history, audit,
                             closed_at, close_history, close_audit)
  if close_audit == '' then return end
  local closed = 0
  for _, aid in ipairs(redis.call('LRANGE', referral_actions, 0, -1)) do
    local action = action_prefix .. aid
    local owner = redis.call('HGET', action, 'owner')
    if owner and redis.call('HGET', action, 'status') == 'open' then
      redis.call('HSET', action, 'status', 'closed', 'done_at', closed_at)
      redis.call('ZREM', actions, aid)
      zrem_each({rid .. ':act:' .. aid}, deadlines, claimed, obligations, agency_obligations,
                obligations .. ':' .. owner)
      closed = closed + 1
    end
  end
  if closed > 0 then
    redis.call('RPUSH', history, close_history)
    append_audit(audit, close_audit)
  end
end

