-- Moves retries that are due back into the queue's stream, as new entries.
-- KEYS[1]  the queue's stream
-- KEYS[2]  the retry schedule (sorted set, see retry.lua)
-- KEYS[3]  the retry payloads (hash, see retry.lua)
-- ARGV[1]  at most this many entries per call
-- Returns the number of entries moved.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, id in ipairs(due) do
  local packed = redis.call('HGET', KEYS[3], id)
  if packed then
    redis.call('XADD', KEYS[1], '*', unpack(cmsgpack.unpack(packed)))
    redis.call('HDEL', KEYS[3], id)
  end
  redis.call('ZREM', KEYS[2], id)
end
return #due
