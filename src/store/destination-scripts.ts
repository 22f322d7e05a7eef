import { LuaScript } from './lua-script';

/**
 * Lua shared by the save, record and remove scripts: the change event, decided by the script from
 * the value it replaces, is appended to the team's outbox in the same step as the change (an empty
 * event id: the store keeps no outbox, the change is only named). Returns {type, sequence}.
 */
const APPEND_CHANGE = `
local function change(outbox, sequences, bucket, kind, id, at, destination)
  if id == '' then return {kind, 0} end
  local sequence = redis.call('hincrby', sequences, bucket, 1)
  redis.call('xadd', outbox, '*', 'id', id, 'type', kind, 'at', at, 'bucket', bucket,
    'sequence', sequence, 'destination', destination)
  return {kind, sequence}
end
`;

/**
 * KEYS: destination, team's bucket set, team's version counter, fence lock (or the destination
 * again when unfenced), team's sorted buckets, the save they are complete up to, team's outbox,
 * team's event sequences. ARGV: destination JSON without version, bucket, fence token ('' =
 * none), event id ('' = no outbox), event time.
 * Returns {'fenced'} or {'saved', version, previous JSON or false, change type, sequence}.
 */
export const SAVE_SCRIPT = new LuaScript(`${APPEND_CHANGE}
if ARGV[3] ~= '' and redis.call('get', KEYS[4]) ~= ARGV[3] then
  return {'fenced'}
end
local previous = redis.call('get', KEYS[1])
local before = redis.call('get', KEYS[3])
local version = redis.call('incr', KEYS[3])
local destination = cjson.decode(ARGV[1])
destination['version'] = version
local saved = cjson.encode(destination)
redis.call('set', KEYS[1], saved)
redis.call('sadd', KEYS[2], ARGV[2])
redis.call('zadd', KEYS[5], 0, ARGV[2])
if redis.call('get', KEYS[6]) == before then redis.call('set', KEYS[6], version) end
local kind = previous and 'destination.updated' or 'destination.connected'
local made = change(KEYS[7], KEYS[8], ARGV[2], kind, ARGV[4], ARGV[5], saved)
return {'saved', version, previous or false, made[1], made[2]}
`);

/**
 * KEYS: destination, team's outbox, team's event sequences, the destination's check history.
 * ARGV: expected version, the record's JSON, the record's lastCheck.at ('' if none), bucket, event
 * id ('' = no outbox), event time, the history entry's JSON ('' = none), the entries kept, the
 * history's TTL in seconds.
 * Applies the record's fields (JSON null deletes one) only to that version, and only if no check
 * that started later recorded first (ISO times compare as strings), and adds the check to the
 * history in the same step. When the last check goes from passing to failing or back, that is the
 * change: {'recorded', change type, sequence}.
 */
export const RECORD_SCRIPT = new LuaScript(`${APPEND_CHANGE}
local raw = redis.call('get', KEYS[1])
if not raw then return {'removed'} end
local current = cjson.decode(raw)
if tostring(current['version'] or 0) ~= ARGV[1] then return {'changed'} end
local last = current['lastCheck']
if ARGV[3] ~= '' and type(last) == 'table' and type(last['at']) == 'string' and last['at'] > ARGV[3] then
  return {'stale'}
end
local wasOk = type(last) == 'table' and last['ok'] == true
for field, value in pairs(cjson.decode(ARGV[2])) do
  if value == cjson.null then current[field] = nil else current[field] = value end
end
local recorded = cjson.encode(current)
redis.call('set', KEYS[1], recorded)
if ARGV[7] ~= '' then
  redis.call('lpush', KEYS[4], ARGV[7])
  redis.call('ltrim', KEYS[4], 0, tonumber(ARGV[8]) - 1)
  redis.call('expire', KEYS[4], ARGV[9])
end
local now = current['lastCheck']
local isOk = type(now) == 'table' and now['ok'] == true
if wasOk == isOk then return {'recorded'} end
local kind = isOk and 'destination.recovered' or 'destination.failing'
local made = change(KEYS[2], KEYS[3], ARGV[4], kind, ARGV[5], ARGV[6], recorded)
return {'recorded', made[1], made[2]}
`);

/**
 * KEYS: destination, team's bucket set, team's sorted buckets, the save they are complete up to,
 * team's outbox, team's event sequences. ARGV: bucket, event id ('' = no outbox), event time.
 * Returns {removed JSON or false, change type, sequence}.
 */
export const REMOVE_SCRIPT = new LuaScript(`${APPEND_CHANGE}
local raw = redis.call('get', KEYS[1])
redis.call('del', KEYS[1])
redis.call('srem', KEYS[2], ARGV[1])
redis.call('zrem', KEYS[3], ARGV[1])
if redis.call('scard', KEYS[2]) == 0 then redis.call('del', KEYS[4]) end
if not raw then return {false} end
local made = change(KEYS[5], KEYS[6], ARGV[1], 'destination.removed', ARGV[2], ARGV[3], raw)
return {raw, made[1], made[2]}
`);

/**
 * KEYS: team's bucket set, team's sorted buckets, the save they are complete up to, team's version
 * counter. ARGV: ZRANGEBYLEX min ('-' or '(' .. bucket), count. The next buckets in order. The set
 * is the record of the team's buckets; the sorted set is rebuilt from it when it missed a save or
 * a remove (a team saved before the sorted set existed, or a replica that did not write it yet,
 * during an upgrade): its version is behind the counter, or the two differ in size.
 */
export const BUCKETS_AFTER_SCRIPT = new LuaScript(`
local saves = redis.call('get', KEYS[4])
if redis.call('get', KEYS[3]) ~= saves or redis.call('zcard', KEYS[2]) ~= redis.call('scard', KEYS[1]) then
  redis.call('del', KEYS[2])
  local buckets = redis.call('smembers', KEYS[1])
  for first = 1, #buckets, 500 do
    local scored = {}
    for i = first, math.min(first + 499, #buckets) do
      scored[#scored + 1] = 0
      scored[#scored + 1] = buckets[i]
    end
    redis.call('zadd', KEYS[2], unpack(scored))
  end
  if saves and #buckets > 0 then redis.call('set', KEYS[3], saves) end
end
return redis.call('zrangebylex', KEYS[2], ARGV[1], '+', 'LIMIT', 0, ARGV[2])
`);
