-- Acknowledges an entry that was processed successfully and deletes it from the stream.
-- KEYS[1]  the queue's stream
-- ARGV[1]  the consumer group
-- ARGV[2]  the entry id
-- Returns 1 when the entry was pending and is now acknowledged, 0 when it was not pending.
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return acked
