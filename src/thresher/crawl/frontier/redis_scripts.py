"""The Lua scripts of the Redis frontier: each state change of a URL is one script, so it is
atomic for every crawler of the crawl (and in Redis's append-only file).

Keys, under the prefix ``P`` (ARGV[1] of every script):

- ``P url`` hash fp → JSON record (u url, h host, d depth, k kind, hp hops, v via, q seq,
  s state, a attempts, r reason, n next try, st status, fx when it failed (Redis time), and
  the fetch fields);
- ``P q:HOST`` zset of ready fps (score depth·1e10 + seq: shallowest, then oldest first);
  ``P dq:HOST`` zset of fps waiting for a retry (score: when, Redis time);
- ``P hosts`` set; ``P hold`` hash host → until (a paused host); ``P slot:HOST`` the
  earliest start of the host's next request, for every crawler;
- ``P leases`` zset fp → expiry; ``P owner`` hash fp → ``WORKER:TOKEN``; ``P claims:WORKER``
  set of fps fetched by that worker and not yet settled;
- ``P count`` hash state → URLs; ``P reasons:STATE`` hash reason → URLs (failed, skipped);
  ``P hostpages`` hash host → done URLs; ``P answered`` pages done or failed (``max_pages``
  counts them);
- ``P reserved`` pages being fetched under a budget reservation, ``P hostreserved`` hash
  host → the same per host: a page takes one (:data:`RESERVE`) before its request and gives
  it back when it leaves its lease, so ``max_pages`` and ``max_pages_per_host`` hold for all
  crawlers together (the record's ``rv`` says it holds one);
- ``P recrawl`` hash: the recrawl pass in progress (``pass`` id, ``cursor`` of the scan of
  ``P url`` that queues done pages again, ``scanned`` once it is complete); a record's ``rp``
  names the pass that last queued or fetched it.

Times are Redis's clock (``TIME``), so crawlers on machines whose clocks differ agree. Floats
are returned as strings (Redis truncates Lua numbers to integers).
"""

from __future__ import annotations

__all__ = [
    "ADD",
    "CLAIM",
    "END_RECRAWL",
    "FAIL_HOST",
    "HOLD",
    "LEASE",
    "NEXT",
    "READY",
    "RECONCILE",
    "RECRAWL",
    "RELEASE",
    "RENEW",
    "REQUEUE_FAILED",
    "RESERVE",
    "SETTLE",
    "SLOT",
]

_PRELUDE = """
local P = ARGV[1]
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function getrec(fp)
  local raw = redis.call('HGET', P .. 'url', fp)
  if not raw then return nil end
  return cjson.decode(raw)
end
local function putrec(fp, rec)
  redis.call('HSET', P .. 'url', fp, cjson.encode(rec))
end
local function tally(rec, sign)
  local s = rec.s
  redis.call('HINCRBY', P .. 'count', s, sign)
  if s == 3 or s == 4 then
    redis.call('HINCRBY', P .. 'reasons:' .. s, rec.r or '', sign)
  elseif s == 2 then
    redis.call('HINCRBY', P .. 'hostpages', rec.h, sign)
  end
  if (s == 2 or s == 3) and rec.k == 0 then
    redis.call('INCRBY', P .. 'answered', sign)
  end
end
local function setstate(rec, s, reason)
  if rec.rv then  -- leaving its lease: the page's budget reservation is given back
    redis.call('DECR', P .. 'reserved')
    redis.call('HINCRBY', P .. 'hostreserved', rec.h, -1)
    rec.rv = nil
  end
  tally(rec, -1)
  rec.s = s
  rec.r = reason
  if s == 3 then rec.fx = clock() else rec.fx = nil end  -- a rerun retries older failures
  tally(rec, 1)
end
local function enqueue(fp, rec, now)
  if rec.n and rec.n > now then
    redis.call('ZADD', P .. 'dq:' .. rec.h, rec.n, fp)
  else
    redis.call('ZADD', P .. 'q:' .. rec.h, rec.d * 10000000000 + rec.q, fp)
  end
end
local function requeue(fp)
  redis.call('HDEL', P .. 'owner', fp)
  redis.call('ZREM', P .. 'leases', fp)
  local rec = getrec(fp)
  if rec and rec.s == 1 then
    setstate(rec, 0, rec.r)
    putrec(fp, rec)
    enqueue(fp, rec, clock())
  end
end
local function reclaim(now)
  local expired = redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', now, 'LIMIT', 0, 1000)
  for _, fp in ipairs(expired) do requeue(fp) end
end
local function held(host, now)
  local until_ = tonumber(redis.call('HGET', P .. 'hold', host) or '0')
  if until_ > now then return until_ end
  return nil
end
"""

#: ARGV: P, state, reason, then (fp, host, record JSON) per URL → the fps that were new
ADD = (
    _PRELUDE
    + """
local state = tonumber(ARGV[2])
local reason = ARGV[3]
local new = {}
for i = 4, #ARGV, 3 do
  local fp, host = ARGV[i], ARGV[i + 1]
  if redis.call('HEXISTS', P .. 'url', fp) == 0 then
    local rec = cjson.decode(ARGV[i + 2])
    rec.q = redis.call('INCR', P .. 'seq')
    rec.s = state
    rec.a = 0
    if reason ~= '' then rec.r = reason end
    tally(rec, 1)
    putrec(fp, rec)
    redis.call('SADD', P .. 'hosts', host)
    if state == 0 then enqueue(fp, rec, 0) end
    new[#new + 1] = fp
  end
end
return new
"""
)

#: ARGV: P, host, limit, worker, ttl → {fp, token, record JSON} per leased URL
LEASE = (
    _PRELUDE
    + """
local host, limit, worker, ttl = ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local now = clock()
if held(host, now) then return {} end
local q = P .. 'q:' .. host
for _, fp in ipairs(redis.call('ZRANGEBYSCORE', P .. 'dq:' .. host, '-inf', now,
    'LIMIT', 0, limit)) do
  redis.call('ZREM', P .. 'dq:' .. host, fp)
  local rec = getrec(fp)
  rec.n = nil
  putrec(fp, rec)
  enqueue(fp, rec, now)
end
local popped = redis.call('ZPOPMIN', q, limit)
local out = {}
for i = 1, #popped, 2 do
  local fp = popped[i]
  local rec = getrec(fp)
  if rec and rec.s == 0 then
    local token = worker .. ':' .. redis.call('INCR', P .. 'token')
    redis.call('HSET', P .. 'owner', fp, token)
    redis.call('ZADD', P .. 'leases', now + ttl, fp)
    setstate(rec, 1, rec.r)
    local raw = cjson.encode(rec)
    redis.call('HSET', P .. 'url', fp, raw)
    out[#out + 1] = {fp, token, raw}
  end
end
return out
"""
)

#: ARGV: P, fp, token, worker → 1 if the fetched URL is still this lease's (now a claim)
CLAIM = (
    _PRELUDE
    + """
local fp, token, worker = ARGV[2], ARGV[3], ARGV[4]
if redis.call('HGET', P .. 'owner', fp) ~= token then return 0 end
redis.call('ZREM', P .. 'leases', fp)
redis.call('SADD', P .. 'claims:' .. worker, fp)
return 1
"""
)

#: ARGV: P, worker, JSON list of [fp, token, "f", fields] (finish) and
#: [fp, token, "r", seconds, reason] (retry) → how many applied (stale tokens are skipped)
SETTLE = (
    _PRELUDE
    + """
local worker = ARGV[2]
local now = clock()
local applied = 0
for _, op in ipairs(cjson.decode(ARGV[3])) do
  local fp = op[1]
  if redis.call('HGET', P .. 'owner', fp) == op[2] then
    redis.call('HDEL', P .. 'owner', fp)
    redis.call('ZREM', P .. 'leases', fp)
    redis.call('SREM', P .. 'claims:' .. worker, fp)
    local rec = getrec(fp)
    rec.a = (rec.a or 0) + 1
    if op[3] == 'f' then
      rec.rp = redis.call('HGET', P .. 'recrawl', 'pass') or nil  -- fetched in this pass
      local f = op[4]
      for k, v in pairs(f) do
        if k ~= 's' and k ~= 'r' then rec[k] = v end
      end
      rec.st = f.st
      rec.dc = f.dc
      setstate(rec, f.s, f.r)
      putrec(fp, rec)
    else
      rec.n = now + op[4]
      setstate(rec, 0, op[5])
      putrec(fp, rec)
      enqueue(fp, rec, now)
    end
    applied = applied + 1
  end
end
return applied
"""
)

#: ARGV: P, then (fp, token) pairs → leases given back to the queue
RELEASE = (
    _PRELUDE
    + """
local n = 0
for i = 2, #ARGV, 2 do
  if redis.call('HGET', P .. 'owner', ARGV[i]) == ARGV[i + 1] then
    requeue(ARGV[i])
    n = n + 1
  end
end
return n
"""
)

#: ARGV: P, ttl, then (fp, token) pairs → leases extended (claimed URLs have none)
RENEW = (
    _PRELUDE
    + """
local until_ = clock() + tonumber(ARGV[2])
local n = 0
for i = 3, #ARGV, 2 do
  if redis.call('HGET', P .. 'owner', ARGV[i]) == ARGV[i + 1] then
    n = n + redis.call('ZADD', P .. 'leases', 'XX', 'CH', until_, ARGV[i])
  end
end
return n
"""
)

#: ARGV: P, worker → URLs of a restarted worker put back (its unsettled claims and leases)
RECONCILE = (
    _PRELUDE
    + """
local prefix = ARGV[2] .. ':'
local n = 0
local function mine(fp)
  local o = redis.call('HGET', P .. 'owner', fp)
  return o and string.sub(o, 1, #prefix) == prefix
end
for _, fp in ipairs(redis.call('SMEMBERS', P .. 'claims:' .. ARGV[2])) do
  if mine(fp) then requeue(fp); n = n + 1 end
end
redis.call('DEL', P .. 'claims:' .. ARGV[2])
for _, fp in ipairs(redis.call('ZRANGE', P .. 'leases', 0, -1)) do
  if mine(fp) then requeue(fp); n = n + 1 end
end
return n
"""
)

#: ARGV: P, host, reason, then this worker's (fp, token) leases of the host → URLs failed
FAIL_HOST = (
    _PRELUDE
    + """
local host, reason = ARGV[2], ARGV[3]
local n = 0
local function fail(fp)
  local rec = getrec(fp)
  if rec and (rec.s == 0 or rec.s == 1) then
    setstate(rec, 3, reason)
    rec.n = nil
    putrec(fp, rec)
    n = n + 1
  end
end
for _, key in ipairs({P .. 'q:' .. host, P .. 'dq:' .. host}) do
  for _, fp in ipairs(redis.call('ZRANGE', key, 0, -1)) do fail(fp) end
  redis.call('DEL', key)
end
for i = 4, #ARGV, 2 do
  if redis.call('HGET', P .. 'owner', ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', P .. 'owner', ARGV[i])
    redis.call('ZREM', P .. 'leases', ARGV[i])
    fail(ARGV[i])
  end
end
return n
"""
)

#: ARGV: P → hosts with a URL ready now (expired leases are put back first)
READY = (
    _PRELUDE
    + """
local now = clock()
reclaim(now)
local out = {}
for _, host in ipairs(redis.call('SMEMBERS', P .. 'hosts')) do
  if not held(host, now) then
    if redis.call('ZCARD', P .. 'q:' .. host) > 0 or
        #redis.call('ZRANGEBYSCORE', P .. 'dq:' .. host, '-inf', now, 'LIMIT', 0, 1) > 0 then
      out[#out + 1] = host
    end
  end
end
table.sort(out)
return out
"""
)

#: ARGV: P → seconds until a URL may be ready ("" when the queue is empty and no lease is
#: out: the crawl is over); a lease held elsewhere is polled every half second
NEXT = (
    _PRELUDE
    + """
local now = clock()
reclaim(now)
local best = nil
local function consider(t)
  if best == nil or t < best then best = t end
end
for _, host in ipairs(redis.call('SMEMBERS', P .. 'hosts')) do
  local hold = held(host, now) or now
  if redis.call('ZCARD', P .. 'q:' .. host) > 0 then consider(hold) end
  local first = redis.call('ZRANGE', P .. 'dq:' .. host, 0, 0, 'WITHSCORES')
  if #first > 0 then consider(math.max(hold, tonumber(first[2]))) end
end
local lease = redis.call('ZRANGE', P .. 'leases', 0, 0, 'WITHSCORES')
if #lease > 0 then consider(math.min(tonumber(lease[2]), now + 0.5)) end
if best == nil then return '' end
return tostring(best - now)
"""
)

#: ARGV: P, host, interval → seconds to wait for the host's next request slot (reserved)
SLOT = (
    _PRELUDE
    + """
local key = P .. 'slot:' .. ARGV[2]
local interval = tonumber(ARGV[3])
local now = clock()
local start = math.max(now, tonumber(redis.call('GET', key) or '0'))
local keep = math.ceil((start - now + interval) * 1000) + 60000
redis.call('SET', key, tostring(start + interval), 'PX', keep)
return tostring(start - now)
"""
)

#: ARGV: P, host, seconds → the host takes no lease and no request slot for that long
HOLD = (
    _PRELUDE
    + """
local host, seconds = ARGV[2], tonumber(ARGV[3])
local until_ = clock() + seconds
if until_ > tonumber(redis.call('HGET', P .. 'hold', host) or '0') then
  redis.call('HSET', P .. 'hold', host, tostring(until_))
end
local key = P .. 'slot:' .. host
if until_ > tonumber(redis.call('GET', key) or '0') then
  redis.call('SET', key, tostring(until_), 'PX', math.ceil(seconds * 1000) + 60000)
end
return 1
"""
)

#: ARGV: P, fp, token, max_pages, max_pages_per_host ("" for none) → "ok" (the page may be
#: fetched: one unit of both budgets is now held by it), "budget" (max_pages answered: the
#: crawl is over), "cap" (the host's cap is done), "wait" (pages in flight may still fail and
#: free a unit), "lost" (the lease is no longer this crawler's)
RESERVE = (
    _PRELUDE
    + """
local fp, token = ARGV[2], ARGV[3]
local maxp, cap = tonumber(ARGV[4]), tonumber(ARGV[5])
if redis.call('HGET', P .. 'owner', fp) ~= token then return 'lost' end
local rec = getrec(fp)
if not rec or rec.s ~= 1 then return 'lost' end
if rec.rv then return 'ok' end
if maxp then
  local answered = tonumber(redis.call('GET', P .. 'answered') or '0')
  if answered >= maxp then return 'budget' end
  if answered + tonumber(redis.call('GET', P .. 'reserved') or '0') >= maxp then
    return 'wait'
  end
end
if cap then
  local done = tonumber(redis.call('HGET', P .. 'hostpages', rec.h) or '0')
  if done >= cap then return 'cap' end
  if done + tonumber(redis.call('HGET', P .. 'hostreserved', rec.h) or '0') >= cap then
    return 'wait'
  end
end
rec.rv = 1
putrec(fp, rec)
redis.call('INCR', P .. 'reserved')
redis.call('HINCRBY', P .. 'hostreserved', rec.h, 1)
return 'ok'
"""
)

#: ARGV: P, new pass id, batch → {pass, pages queued again, 1 when the scan is complete}:
#: starts a recrawl pass (when none is in progress) and scans the next ``batch`` records,
#: queueing done pages (status 200) not yet queued or fetched in this pass; any crawler may
#: go on with a scan another one left unfinished
RECRAWL = (
    _PRELUDE
    + """
local key = P .. 'recrawl'
local pass = redis.call('HGET', key, 'pass')
if not pass then
  pass = ARGV[2]
  redis.call('HSET', key, 'pass', pass, 'cursor', '0')
end
if redis.call('HGET', key, 'scanned') == '1' then return {pass, 0, 1} end
local got = redis.call('HSCAN', P .. 'url', redis.call('HGET', key, 'cursor'),
    'COUNT', tonumber(ARGV[3]))
local n = 0
for i = 1, #got[2], 2 do
  local fp, rec = got[2][i], cjson.decode(got[2][i + 1])
  if rec.s == 2 and rec.st == 200 and rec.rp ~= pass then
    setstate(rec, 0, rec.r)
    rec.a = 0
    rec.n = nil
    rec.rp = pass
    putrec(fp, rec)
    enqueue(fp, rec, 0)
    n = n + 1
  end
end
if got[1] == '0' then
  redis.call('HSET', key, 'scanned', '1')
  return {pass, n, 1}
end
redis.call('HSET', key, 'cursor', got[1])
return {pass, n, 0}
"""
)

#: ARGV: P, since ("" on a scan's first call: now), cursor, batch, then the reasons →
#: {since, next cursor ("0": the scan is over), URLs queued again}: scans the next ``batch``
#: URL records and queues again, attempts reset, those failed for one of the reasons before
#: ``since`` (the start of this crawler's scan; a URL another crawler is fetching is leased,
#: and one failed again after that is this run's failure: neither is touched); stops at once
#: when no failure of those reasons is left
REQUEUE_FAILED = (
    _PRELUDE
    + """
local since = tonumber(ARGV[2]) or clock()
local left = 0
local want = {}
for i = 5, #ARGV do
  want[ARGV[i]] = true
  left = left + tonumber(redis.call('HGET', P .. 'reasons:3', ARGV[i]) or '0')
end
if left <= 0 then return {tostring(since), '0', 0} end
local got = redis.call('HSCAN', P .. 'url', ARGV[3], 'COUNT', tonumber(ARGV[4]))
local n = 0
for i = 1, #got[2], 2 do
  local fp, rec = got[2][i], cjson.decode(got[2][i + 1])
  if rec.s == 3 and want[rec.r or ''] and (rec.fx or 0) < since then
    setstate(rec, 0, nil)
    rec.a = 0
    rec.n = nil
    rec.st = nil
    putrec(fp, rec)
    enqueue(fp, rec, 0)
    n = n + 1
  end
end
return {tostring(since), got[1], n}
"""
)

#: ARGV: P → 1 when the recrawl pass was over (scan complete) and is now closed
END_RECRAWL = (
    _PRELUDE
    + """
if redis.call('HGET', P .. 'recrawl', 'scanned') ~= '1' then return 0 end
redis.call('DEL', P .. 'recrawl')
return 1
"""
)
