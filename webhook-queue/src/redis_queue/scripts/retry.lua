-- Schedules a failed entry for a later attempt (or, with delay 0, returns it to the queue).
-- The entry leaves the stream; its fields wait in KEYS[3] until promote.lua re-adds them.
-- KEYS[1]  the queue's stream
-- KEYS[2]  the retry schedule: sorted set, member = entry id, score = due time (ms, Redis clock)
-- KEYS[3]  the retry payloads: hash, entry id -> cmsgpack array of the entry's fields
-- ARGV[1]  the consumer group
-- ARGV[2]  the consumer that ran the attempt
-- ARGV[3]  the entry id
-- ARGV[4]  delay in milliseconds
-- ARGV[5]  attempts made so far (stored in the entry's `attempts` field)
-- ARGV[6]  the last error ('' keeps the previous one)
-- Returns 1 when scheduled; 0 when the entry is not pending for this consumer (another worker
-- reclaimed it and owns it now: left alone); -1 when the entry is gone from the stream.
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #pending == 0 then
  return 0
end
local entries = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
if #entries == 0 then
  return -1
end
local fields = entries[1][2]
local out = {}
for i = 1, #fields, 2 do
  local name = fields[i]
  if name ~= 'attempts' and not (name == 'last_error' and ARGV[6] ~= '') then
    out[#out + 1] = name
    out[#out + 1] = fields[i + 1]
  end
end
out[#out + 1] = 'attempts'
out[#out + 1] = ARGV[5]
if ARGV[6] ~= '' then
  out[#out + 1] = 'last_error'
  out[#out + 1] = ARGV[6]
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('HSET', KEYS[3], ARGV[3], cmsgpack.pack(out))
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return 1
