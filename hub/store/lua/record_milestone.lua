-- Record a milestone the receiving agency reached, in one step: the record (when, by whom,
-- whether in time), its timer stopped and its obligation met (gone from the queue), the
-- figures' met count when in time, the history and the audit event. A code that misses
-- another (a no-show) makes that milestone a gap now: its timer stopped, its obligation
-- due now, and the gap step queued at once (escalation/missed.py tells the sender).
-- statuses: the statuses a milestone may be recorded in, space-separated; member: the
-- milestone's timer member ('' for a code without a deadline); missed_member,
-- missed_field, missed_code: what the code misses ('' for none); gap_member: its gap step.
local ref, milestones, history, deadlines, claimed, obligations, agency_obligations,
      figures, audit = unpack(KEYS)
local code, record, statuses, member, timer_field, gap_field, met_count, missed_member,
      missed_field, missed_code, gap_member, now, history_event, audit_event = unpack(ARGV)
local status = redis.call('HGET', ref, 'status')
if not status then return {'missing', ''} end
local allowed = false
for s in string.gmatch(statuses, '%S+') do if s == status then allowed = true end end
if not allowed then return {'status', status} end
local existing = redis.call('HGET', milestones, code)
if existing then return {'exists', existing} end
local doc = cjson.decode(record)
local in_time = true
if member ~= '' then
  local due = redis.call('ZSCORE', obligations, member)
  in_time = redis.call('HEXISTS', ref, gap_field) == 0
            and (not due or tonumber(now) <= tonumber(due))
  zrem_each({member}, deadlines, claimed, obligations, agency_obligations)
  redis.call('HDEL', ref, timer_field)
end
doc['in_time'] = in_time
local stored = cjson.encode(doc)
redis.call('HSET', milestones, code, stored)
if member ~= '' and in_time then redis.call('HINCRBY', figures, met_count, 1) end
if missed_member ~= '' and redis.call('HEXISTS', milestones, missed_code) == 0
    and redis.call('HEXISTS', ref, 'gap:' .. missed_code) == 0 then
  zrem_each({missed_member}, deadlines, claimed)
  redis.call('HDEL', ref, missed_field)
  zadd_each({{now, missed_member}}, obligations, agency_obligations)
  redis.call('ZADD', deadlines, now, gap_member)
end
redis.call('RPUSH', history, history_event)
append_audit(audit, audit_event)
return {'ok', stored}
