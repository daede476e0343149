-- Moves an entry that is out of attempts (or cannot be decoded) to the dead-letter stream.
-- KEYS[1]  the queue's stream
-- KEYS[2]  the dead-letter stream
-- ARGV[1]  the consumer group
-- ARGV[2]  the consumer that ran the last attempt
-- ARGV[3]  the entry id
-- ARGV[4]  attempts made
-- ARGV[5]  the last error
-- ARGV[6]  MAXLEN ~ of the dead-letter stream
-- Returns the dead letter's id; nil when the entry is not pending for this consumer (another
-- worker owns it now) or is gone from the stream.
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #pending == 0 then
  return false
end
local entries = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
if #entries == 0 then
  return false
end
local fields = entries[1][2]
local out = {}
for i = 1, #fields, 2 do
  local name = fields[i]
  if name ~= 'attempts' and name ~= 'last_error' and name ~= 'entry_id' and name ~= 'died_ms' then
    out[#out + 1] = name
    out[#out + 1] = fields[i + 1]
  end
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
out[#out + 1] = 'attempts'
out[#out + 1] = ARGV[4]
out[#out + 1] = 'last_error'
out[#out + 1] = ARGV[5]
out[#out + 1] = 'entry_id'
out[#out + 1] = ARGV[3]
out[#out + 1] = 'died_ms'
out[#out + 1] = string.format('%d', now)
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', unpack(out))
redis.call('XDEL', KEYS[1], ARGV[3])
return id
