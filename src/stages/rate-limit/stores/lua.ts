/**
 * The Lua mirror of checkAll() and the five algorithms: one script call evaluates a batch of
 * checks (the checks one gateway issued in one event-loop turn), each of them atomically and in
 * order, all of a check's limits together. Time comes from Redis TIME only (once per call), so
 * gateways with skewed clocks agree. State is stored as space-separated numbers, exactly like the
 * memory store's arrays.
 *
 * KEYS: per check, its limit keys in order, then its penalty key when it has one.
 * ARGV: nowOverride (0 = Redis TIME; non-zero only in tests), deadline (Redis TIME ms after which
 *       the call must change nothing and return {-1}; 0 = none), then per check:
 *       n, hasPenalty, [allowStrikes, decayMs, ladderLen, ladder...], then per limit
 *       algorithm (1 token-bucket, 2 gcra, 3 fixed-window, 4 sliding-window, 5 sliding-log),
 *       limit, windowMs, burst, calendar (0 none, 1 day, 2 month), cost.
 * Returns per check, concatenated: { length, allowed, penaltyBlocked, penaltyRetryMs, strikes,
 *       then per limit allowed, remaining, resetMs, retryMs } (length counts the fields after it;
 *       4 when a penalty blocked the check before its limits were read).
 */
export const CHECK_SCRIPT = `
local now = tonumber(ARGV[1])
local t = redis.call('TIME')
local server_now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now == 0 then now = server_now end
-- A call that reaches Redis after its caller gave up (a stalled server resuming) changes nothing.
local deadline = tonumber(ARGV[2])
if deadline > 0 and server_now > deadline then return {-1} end
local floor, ceil, max, min = math.floor, math.ceil, math.max, math.min

local function parse(s)
  local out = {}
  if s then for x in string.gmatch(s, '%S+') do out[#out + 1] = tonumber(x) end end
  return out
end
-- Whole numbers (window starts, counts, timestamps) take the cheaper %d; '%d' and '%.17g' print them alike.
local function ser(a)
  local parts = {}
  for i = 1, #a do
    local x = a[i]
    if x == floor(x) and x > -1e15 and x < 1e15 then parts[i] = string.format('%d', x) else parts[i] = string.format('%.17g', x) end
  end
  return table.concat(parts, ' ')
end

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end
local function civil_from_days(z)
  z = z + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m
end
local DAY = 86400000
local function bounds(w, cal)
  if cal == 1 then local s = floor(now / DAY) * DAY return s, s + DAY end
  if cal == 2 then
    local y, m = civil_from_days(floor(now / DAY))
    local s = days_from_civil(y, m, 1) * DAY
    local e
    if m == 12 then e = days_from_civil(y + 1, 1, 1) * DAY else e = days_from_civil(y, m + 1, 1) * DAY end
    return s, e
  end
  local s = floor(now / w) * w
  return s, s + w
end

-- each returns allowed, state, remaining, reset, retry, ttl
local function token_bucket(st, limit, w, burst, cost)
  local rate = limit / w
  local tokens = burst
  if #st == 2 then tokens = min(burst, st[1] + max(0, now - st[2]) * rate) end
  if tokens >= cost then
    local left = tokens - cost
    local full = ceil((burst - left) / rate)
    return true, {left, now}, floor(left), full, 0, full + 1
  end
  local full = ceil((burst - tokens) / rate)
  return false, {tokens, now}, 0, full, ceil((cost - tokens) / rate), full + 1
end
local function gcra(st, limit, w, burst, cost)
  local interval = w / limit
  local tol = burst * interval
  local tat = max(st[1] or now, now)
  local nxt = tat + cost * interval
  local allow_at = nxt - tol
  if now < allow_at then
    return false, {tat}, 0, ceil(tat - now), ceil(allow_at - now), ceil(tat - now) + 1
  end
  local remaining = max(0, floor((tol - (nxt - now)) / interval + 1e-9))
  return true, {nxt}, remaining, ceil(nxt - now), 0, ceil(nxt - now) + 1
end
local function fixed_window(st, limit, w, cal, cost)
  local s, e = bounds(w, cal)
  local count = 0
  if st[1] == s then count = st[2] or 0 end
  local reset = e - now
  if count + cost <= limit then return true, {s, count + cost}, limit - count - cost, reset, 0, reset + 1 end
  return false, {s, count}, 0, reset, reset, reset + 1
end
local function sliding_window(st, limit, w, cost)
  local s = floor(now / w) * w
  local cur, prev = 0, 0
  if #st == 3 then
    if st[1] == s then cur = st[2] prev = st[3] elseif st[1] == s - w then prev = st[2] end
  end
  local used = prev * ((w - (now - s)) / w) + cur
  local reset = s + w - now
  if used + cost <= limit then
    return true, {s, cur + cost, prev}, max(0, floor(limit - used - cost)), reset, 0, reset + w + 1
  end
  local room = limit - cur - cost
  local retry = reset
  if room >= 0 and prev > 0 then retry = max(1, ceil(s + w * (1 - room / prev) - now)) end
  return false, {s, cur, prev}, 0, reset, retry, reset + w + 1
end
local function sliding_log(st, limit, w, cost)
  local from = now - w
  local log = {}
  for i = 1, #st do if st[i] > from then log[#log + 1] = st[i] end end
  if #log + cost <= limit then
    for i = 1, cost do log[#log + 1] = now end
    return true, log, limit - #log, log[1] + w - now, 0, w + 1
  end
  local must = #log + cost - limit
  local retry
  if cost > limit then retry = w else retry = log[must] + w - now end
  local reset = w
  if #log > 0 then reset = log[#log] + w - now end
  return false, log, 0, reset, max(1, retry), w + 1
end

local out = {}
-- One check: reads ARGV from a and KEYS from k, appends its verdict to out, returns the next a and k.
local function check(a, k)
  local n = tonumber(ARGV[a])
  local has_pen = tonumber(ARGV[a + 1]) == 1
  a = a + 2
  local allow_strikes, decay, ladder = 0, 1, {}
  if has_pen then
    allow_strikes = tonumber(ARGV[a]); decay = tonumber(ARGV[a + 1])
    local len = tonumber(ARGV[a + 2])
    for i = 1, len do ladder[i] = tonumber(ARGV[a + 2 + i]) end
    a = a + 3 + len
  end
  local next_k = k + n
  if has_pen then next_k = next_k + 1 end

  local strikes = 0
  local pkey = KEYS[k + n]
  if has_pen then
    local p = parse(redis.call('GET', pkey))
    if #p == 3 then
      local forgiven = floor(max(0, now - max(p[3], p[2])) / decay)
      if p[2] > now then
        local o = #out
        out[o + 1] = 4; out[o + 2] = 0; out[o + 3] = 1; out[o + 4] = p[2] - now; out[o + 5] = p[1]
        return a + 6 * n, next_k
      end
      strikes = max(0, p[1] - forgiven)
    end
  end

  local head = #out + 1
  out[head] = 4 + 4 * n
  out[head + 1] = 1; out[head + 2] = 0; out[head + 3] = 0; out[head + 4] = strikes
  local states, ttls = {}, {}
  local all = true
  for i = 1, n do
    local alg, limit, w, burst, cal, cost = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
    a = a + 6
    local st = parse(redis.call('GET', KEYS[k + i - 1]))
    local ok, ns, rem, reset, retry, ttl
    if alg == 1 then ok, ns, rem, reset, retry, ttl = token_bucket(st, limit, w, burst, cost)
    elseif alg == 2 then ok, ns, rem, reset, retry, ttl = gcra(st, limit, w, burst, cost)
    elseif alg == 3 then ok, ns, rem, reset, retry, ttl = fixed_window(st, limit, w, cal, cost)
    elseif alg == 4 then ok, ns, rem, reset, retry, ttl = sliding_window(st, limit, w, cost)
    else ok, ns, rem, reset, retry, ttl = sliding_log(st, limit, w, cost) end
    if not ok then all = false end
    states[i] = ns; ttls[i] = ttl
    local o = #out
    out[o + 1] = ok and 1 or 0
    out[o + 2] = rem
    out[o + 3] = reset
    out[o + 4] = retry
  end

  if all then
    for i = 1, n do redis.call('SET', KEYS[k + i - 1], ser(states[i]), 'PX', max(1, ceil(ttls[i]))) end
    return a, next_k
  end
  out[head + 1] = 0
  if has_pen then
    local s = strikes + 1
    local step = s - allow_strikes - 1
    local block = 0
    if step >= 0 and #ladder > 0 then block = ladder[min(step + 1, #ladder)] end
    redis.call('SET', pkey, ser({s, now + block, now}), 'PX', block + s * decay + 1)
    if block > 0 then out[head + 2] = 1 end
    out[head + 3] = block
    out[head + 4] = s
  end
  return a, next_k
end

local a, k = 3, 1
while a <= #ARGV do a, k = check(a, k) end
return out
`;
