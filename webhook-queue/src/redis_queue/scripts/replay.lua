-- Moves a dead letter back into the queue's stream with its attempts reset to 0 (the last error
-- is kept, for the handler's information).
-- KEYS[1]  the dead-letter stream
-- KEYS[2]  the queue's stream
-- ARGV[1]  the dead letter's id
-- Returns the new entry id, or nil when no dead letter has that id.
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #entries == 0 then
  return false
end
local fields = entries[1][2]
local out = {}
for i = 1, #fields, 2 do
  local name = fields[i]
  if name ~= 'attempts' and name ~= 'entry_id' and name ~= 'died_ms' then
    out[#out + 1] = name
    out[#out + 1] = fields[i + 1]
  end
end
out[#out + 1] = 'attempts'
out[#out + 1] = '0'
local id = redis.call('XADD', KEYS[2], '*', unpack(out))
redis.call('XDEL', KEYS[1], ARGV[1])
return id
