-- Appends a delivery to the queue's stream unless the stream is full.
-- KEYS[1]   the queue's stream
-- ARGV[1]   max_len: refuse when the stream already holds this many entries (also XADD's MAXLEN ~,
--           which therefore never trims an entry that was not processed)
-- ARGV[2..] the delivery's fields: name, value, name, value, ...
-- Returns the new entry id, or nil when the stream is full.
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then
  return false
end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 2))
