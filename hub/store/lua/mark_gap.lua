-- A milestone fell due unrecorded (or a code missed it): mark it a gap once, in one step:
-- when (the referral's `gap:{code}` field), the figures' missed count, the history and the
-- audit event. 'new' the first time; 'known' when it was marked before; 'met' when it was
-- recorded meanwhile; 'gone' when the referral is.
local ref, milestones, history, figures, audit = unpack(KEYS)
local code, gap_field, missed_count, now, history_event, audit_event = unpack(ARGV)
if redis.call('EXISTS', ref) == 0 then return 'gone' end
if redis.call('HEXISTS', milestones, code) == 1 then return 'met' end
if redis.call('HSETNX', ref, gap_field, now) == 0 then return 'known' end
redis.call('HINCRBY', figures, missed_count, 1)
redis.call('RPUSH', history, history_event)
append_audit(audit, audit_event)
return 'new'
