-- Narrow a referral's consent (the survivor took back part of it): replace the consent
-- record only if it is still the one the decision was made on, with history and audit.
-- KEYS: ref, history, audit
-- ARGV: consent as read, narrowed consent, history event, audit event, updated at
if redis.call('HGET', KEYS[1], 'consent') ~= ARGV[1] then return 'stale' end
redis.call('HSET', KEYS[1], 'consent', ARGV[2], 'updated_at', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'generation', 1)
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[3], '*', 'event', ARGV[4])
return 'ok'
