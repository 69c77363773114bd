-- Register an agency's root public key once, with its audit event; or change nothing.
-- KEYS: root, audit
-- ARGV: public key, audit event
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('XADD', KEYS[2], '*', 'event', ARGV[2])
  return 1
end
return 0
