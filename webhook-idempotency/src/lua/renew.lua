-- renew.lua: extend a live claim's lease while its handler still runs, only if it is still ours.
-- KEYS[1]  the event's key
-- ARGV[1]  the in-flight value our claim wrote ("inflight:<token>:<fingerprint>")
-- ARGV[2]  the new lease in milliseconds, counted from now
-- Returns 1 when the lease was extended, 0 when the claim was no longer ours.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
