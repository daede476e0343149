-- Deletes consumers of the group that hold no entries and have been idle for a long time
-- (workers that stopped), so the group does not accumulate them. Atomic: a consumer holding an
-- entry is never deleted (that would orphan the entry).
-- KEYS[1]  the queue's stream
-- ARGV[1]  the consumer group
-- ARGV[2]  minimum idle time in milliseconds
-- ARGV[3]  the calling consumer (never deleted)
-- Returns the number of consumers deleted.
local deleted = 0
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #consumer, 2 do
    info[consumer[i]] = consumer[i + 1]
  end
  if info['name'] ~= ARGV[3] and tonumber(info['pending']) == 0
      and tonumber(info['idle']) >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    deleted = deleted + 1
  end
end
return deleted
