-- Resets the idle time of entries a live worker is still handling, so that XAUTOCLAIM in other
-- workers does not take them; entries another worker has reclaimed meanwhile are left alone.
-- KEYS[1]   the queue's stream
-- ARGV[1]   the consumer group
-- ARGV[2]   the consumer
-- ARGV[3..] entry ids
-- Returns how many entries were still pending for this consumer.
local owned = 0
for i = 3, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if #pending > 0 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    owned = owned + 1
  end
end
return owned
