import { LuaScript } from '../lua-script';

/**
 * The outbox's Lua scripts. Each touches keys of the `{outbox}` hash tag only, so each is one
 * atomic step on one Cluster slot.
 */
export const OUTBOX_SCRIPTS = {
  /**
   * KEYS: sent, lock, retries, stream. ARGV: seq, replay ('1' or ''), entry id, token, lock ms,
   * now ms, group, dead after ms. 'done' (its seq was sent: a duplicate), 'waiting' (an earlier
   * seq is not sent yet), 'later' (its retry is not due; with the retry state), 'busy' (a live
   * replica holds the lock) or 'go' (the lock is taken; with the retry state, if it failed
   * before). A replayed dead letter skips the seq checks: it is sent again on purpose. A lock
   * whose holder (the consumer named before the space in its token) is gone or unseen for "dead
   * after" ms is taken over: a replica that died mid-POST does not hold its destination up until
   * the lock expires.
   */
  start: new LuaScript(`
local sent = tonumber(redis.call('get', KEYS[1]) or '0')
local seq = tonumber(ARGV[1])
if ARGV[2] ~= '1' then
  if seq <= sent then return {'done'} end
  if seq > sent + 1 then return {'waiting'} end
end
local retry = redis.call('hget', KEYS[3], ARGV[3])
if retry then
  local ok, state = pcall(cjson.decode, retry)
  if ok and type(state) == 'table' and tonumber(state.nextAt) and tonumber(state.nextAt) > tonumber(ARGV[6]) then
    return {'later', retry}
  end
end
if not redis.call('set', KEYS[2], ARGV[4], 'PX', ARGV[5], 'NX') then
  local holder = string.match(redis.call('get', KEYS[2]) or '', '^(.-) ')
  local ok, consumers = pcall(redis.call, 'xinfo', 'consumers', KEYS[4], ARGV[7])
  if not ok then return {'busy'} end
  for _, consumer in ipairs(consumers) do
    local info = {}
    for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
    if info.name == holder and tonumber(info.idle) < tonumber(ARGV[8]) then return {'busy'} end
  end
  redis.call('set', KEYS[2], ARGV[4], 'PX', ARGV[5])
end
return {'go', retry or ''}
`),

  /**
   * KEYS: sent, stream, retries, dead, lock. ARGV: seq (0: leave sent as it is), group, entry id,
   * dead-letter reason ('' = none), lock token. With a reason, keeps the entry as a dead letter;
   * then moves sent up to seq, acknowledges and deletes the entry, forgets its retry state and
   * releases the lock if the token still holds it.
   */
  finish: new LuaScript(`
if ARGV[4] ~= '' then
  local entry = redis.call('xrange', KEYS[2], ARGV[3], ARGV[3])
  if #entry == 1 then
    local fields = {}
    for i = 1, #entry[1][2], 2 do
      if entry[1][2][i] ~= 'replay' then
        table.insert(fields, entry[1][2][i])
        table.insert(fields, entry[1][2][i + 1])
      end
    end
    table.insert(fields, 'reason')
    table.insert(fields, ARGV[4])
    table.insert(fields, 'entry')
    table.insert(fields, ARGV[3])
    redis.call('xadd', KEYS[4], '*', unpack(fields))
  end
end
local current = tonumber(redis.call('get', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('set', KEYS[1], ARGV[1]) end
redis.call('xack', KEYS[2], ARGV[2], ARGV[3])
redis.call('xdel', KEYS[2], ARGV[3])
redis.call('hdel', KEYS[3], ARGV[3])
if ARGV[5] ~= '' and redis.call('get', KEYS[5]) == ARGV[5] then redis.call('del', KEYS[5]) end
return 1
`),

  /** KEYS: retries, lock. ARGV: entry id, retry state JSON, lock token. */
  failed: new LuaScript(`
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
if redis.call('get', KEYS[2]) == ARGV[3] then redis.call('del', KEYS[2]) end
return 1
`),

  /**
   * KEYS: stream. ARGV: group, consumer, dead after ms, count. Moves to the consumer (up to count)
   * the entries of every other consumer not seen for "dead after" ms (a live one is seen each time
   * its blocking read returns), and forgets such consumers once they hold nothing. Returns the
   * consumer's own pending count and the entries it took.
   */
  claimFromDead: new LuaScript(`
local ok, consumers = pcall(redis.call, 'xinfo', 'consumers', KEYS[1], ARGV[1])
if not ok then return {0, {}} end
local own = 0
local claimed = {}
local limit = tonumber(ARGV[4])
for _, consumer in ipairs(consumers) do
  local info = {}
  for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
  if info.name == ARGV[2] then
    own = tonumber(info.pending)
  elseif tonumber(info.idle) >= tonumber(ARGV[3]) then
    if tonumber(info.pending) == 0 then
      redis.call('xgroup', 'delconsumer', KEYS[1], ARGV[1], info.name)
    elseif #claimed < limit then
      local pending = redis.call('xpending', KEYS[1], ARGV[1], '-', '+', limit - #claimed, info.name)
      local ids = {}
      for _, entry in ipairs(pending) do table.insert(ids, entry[1]) end
      if #ids > 0 then
        for _, entry in ipairs(redis.call('xclaim', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ids))) do
          table.insert(claimed, entry)
        end
      end
    end
  end
end
return {own, claimed}
`),

  /**
   * KEYS: dead, stream. ARGV: dead-letter id, team, bucket, seq, event. Puts the dead letter back
   * into the stream, marked as a replay, and removes it from the dead letters at once.
   */
  replay: new LuaScript(`
redis.call('xadd', KEYS[2], '*', 'team', ARGV[2], 'bucket', ARGV[3], 'seq', ARGV[4], 'event', ARGV[5], 'replay', '1')
redis.call('xdel', KEYS[1], ARGV[1])
return 1
`),
} as const;
