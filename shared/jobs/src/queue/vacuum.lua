-- Lawha: removes finished messages of one apalis-redis queue that finished before a cutoff, a page at a time.
-- apalis-redis keeps every message's data, metadata and set membership forever (its own vacuum leaves the
-- done and dead sets growing); Lawha's jobs projection holds the history, so Redis needs none of it once the
-- idempotency window is over.
-- KEYS[1]: the set to clean (done or dead)     KEYS[2]: the data hash      KEYS[3]: the metadata key prefix
-- ARGV[1]: the SSCAN cursor                     ARGV[2]: cutoff, Unix seconds ARGV[3]: members to look at
-- Returns {next cursor, removed}.
local scanned = redis.call("SSCAN", KEYS[1], ARGV[1], "COUNT", tonumber(ARGV[3]))
local cutoff = tonumber(ARGV[2])
local result_hash = KEYS[3] .. ":result"
local removed = 0
for _, id in ipairs(scanned[2]) do
  local meta = KEYS[3] .. ":" .. id
  local done_at = tonumber(redis.call("HGET", meta, "done_at"))
  -- A message with no metadata left is only a stale member; one that finished later is kept.
  if done_at == nil or done_at <= cutoff then
    redis.call("HDEL", KEYS[2], id)
    redis.call("HDEL", result_hash, id)
    redis.call("DEL", meta)
    redis.call("SREM", KEYS[1], id)
    removed = removed + 1
  end
end
return {scanned[1], removed}
