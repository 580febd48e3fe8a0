-- One atomic commit: an optional compare-and-set of a request record, its limits, its index
-- changes, and one audit event appended to the hash chain. Either all of it happens or none of it does.
--
-- KEYS[1] request record (hash: v, json), or '' for an audit-only commit
-- KEYS[2] audit stream          KEYS[3] audit head (hash: seq, hash)
-- KEYS[4] the request's audit list (seqs), or ''
-- KEYS[5…] the index and limit keys the operations below name by their position in KEYS
-- ARGV[1] expected version ('0' = must not exist, '' = no request write)
-- ARGV[2] new record json       ARGV[3] new version
-- ARGV[4] canonical audit json before the seq value   ARGV[5] … after it
-- ARGV[6] now (ms)              ARGV[7] the per-minute window (ms)
-- ARGV[8] number of limit checks, then 3 args each: OPEN|RATE, key position, limit
-- then the number of index operations, then 3 args each: op, key position, member
--   (ZADD members fold the score in as "score|member"; WINDOW adds the member at `now`)
-- Returns {seq, hash}, or an error "CONFLICT <current version>" or "LIMITED <check> <count> <retry ms>".

local record_key, stream_key, head_key, req_audit_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, window = tonumber(ARGV[6]), tonumber(ARGV[7])

if ARGV[1] ~= '' then
  local current = redis.call('HGET', record_key, 'v')
  local expected = ARGV[1]
  if expected == '0' then
    if current then return redis.error_reply('CONFLICT ' .. current) end
  elseif current ~= expected then
    return redis.error_reply('CONFLICT ' .. tostring(current))
  end
end

-- Limits are checked here, in the step that creates the request, so a burst cannot overshoot them.
local checks = tonumber(ARGV[8])
for i = 0, checks - 1 do
  local kind, key, limit = ARGV[9 + i * 3], KEYS[tonumber(ARGV[10 + i * 3])], tonumber(ARGV[11 + i * 3])
  if kind == 'OPEN' then
    local count = redis.call('SCARD', key)
    if count >= limit then return redis.error_reply('LIMITED ' .. i .. ' ' .. count .. ' 0') end
  elseif kind == 'RATE' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local count = redis.call('ZCARD', key)
    if count >= limit then
      -- Room comes back when enough of the oldest entries leave the window.
      local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
      return redis.error_reply('LIMITED ' .. i .. ' ' .. count .. ' ' .. (tonumber(oldest[2]) + window - now))
    end
  end
end

-- SHA-256 (FIPS 180-4) on Redis' 32-bit bit library: the chain is hashed here so that the
-- previous hash is read and the new one written in the same atomic step.
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local rshift, lshift, ror, tobit, tohex = bit.rshift, bit.lshift, bit.ror, bit.tobit, bit.tohex
local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

local function be32(n)
  return string.char(band(rshift(n, 24), 255), band(rshift(n, 16), 255), band(rshift(n, 8), 255), band(n, 255))
end

local function sha256(msg)
  local h0, h1, h2, h3 = 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a
  local h4, h5, h6, h7 = 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  local len = #msg
  msg = msg .. '\128' .. string.rep('\0', (55 - len) % 64) .. be32(math.floor(len / 0x20000000)) .. be32(tobit(len * 8))
  local w = {}
  for chunk = 1, #msg, 64 do
    for i = 0, 15 do
      local b1, b2, b3, b4 = string.byte(msg, chunk + i * 4, chunk + i * 4 + 3)
      w[i] = bor(lshift(b1, 24), lshift(b2, 16), lshift(b3, 8), b4)
    end
    for i = 16, 63 do
      local x, y = w[i - 15], w[i - 2]
      local s0 = bxor(ror(x, 7), ror(x, 18), rshift(x, 3))
      local s1 = bxor(ror(y, 17), ror(y, 19), rshift(y, 10))
      w[i] = tobit(w[i - 16] + s0 + w[i - 7] + s1)
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for i = 0, 63 do
      local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
      local ch = bxor(band(e, f), band(bnot(e), g))
      local t1 = tobit(h + S1 + ch + K[i + 1] + w[i])
      local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
      local maj = bxor(band(a, b), band(a, c), band(b, c))
      local t2 = tobit(S0 + maj)
      h, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + t2)
    end
    h0, h1, h2, h3 = tobit(h0 + a), tobit(h1 + b), tobit(h2 + c), tobit(h3 + d)
    h4, h5, h6, h7 = tobit(h4 + e), tobit(h5 + f), tobit(h6 + g), tobit(h7 + h)
  end
  return tohex(h0) .. tohex(h1) .. tohex(h2) .. tohex(h3) .. tohex(h4) .. tohex(h5) .. tohex(h6) .. tohex(h7)
end

if ARGV[1] ~= '' then
  redis.call('HSET', record_key, 'v', ARGV[3], 'json', ARGV[2])
end

local first = 9 + checks * 3
local n = tonumber(ARGV[first])
for i = 0, n - 1 do
  local op, key, arg = ARGV[first + 1 + i * 3], KEYS[tonumber(ARGV[first + 2 + i * 3])], ARGV[first + 3 + i * 3]
  if op == 'ZADD' then
    local sep = string.find(arg, '|', 1, true)
    redis.call('ZADD', key, string.sub(arg, 1, sep - 1), string.sub(arg, sep + 1))
  elseif op == 'WINDOW' then
    redis.call('ZADD', key, now, arg)
    redis.call('PEXPIRE', key, window)
  elseif op == 'ZREM' or op == 'SADD' or op == 'SREM' then
    redis.call(op, key, arg)
  end
end

local prev = redis.call('HGET', head_key, 'hash') or string.rep('0', 64)
local seq = redis.call('HINCRBY', head_key, 'seq', 1)
local body = ARGV[4] .. seq .. ARGV[5]
local hash = sha256(prev .. body)
redis.call('HSET', head_key, 'hash', hash)
redis.call('XADD', stream_key, seq .. '-1', 'body', body, 'prev', prev, 'hash', hash)
if req_audit_key ~= '' then
  redis.call('RPUSH', req_audit_key, seq)
end
return {seq, hash}
