-- release.lua: give up a claim (the handler failed), only if the claim is still ours.
-- KEYS[1]  the event's key
-- ARGV[1]  the in-flight value our claim wrote ("inflight:<token>:<fingerprint>")
-- Returns 1 when the key was deleted, 0 when the claim was no longer ours (nothing deleted).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
