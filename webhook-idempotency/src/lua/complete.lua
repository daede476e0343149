-- complete.lua: mark a claimed event done, only if the claim is still ours.
-- KEYS[1]  the event's key (<prefix>:<endpoint>:<event key>)
-- ARGV[1]  the in-flight value our claim wrote ("inflight:<token>:<fingerprint>")
-- ARGV[2]  the done value to store ("done:<status>:<fingerprint>")
-- ARGV[3]  retention in milliseconds
-- Returns 1 when the key now holds ARGV[2], 0 when the claim was no longer ours (lease expired,
-- taken over, or released) and nothing was written.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
