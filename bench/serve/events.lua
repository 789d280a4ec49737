-- events.lua — wrk script: POST /v1/events with $BATCH random events (users from $USERS, items
-- from $ITEMS) per request.
local users, items = {}, {}
for line in io.lines(os.getenv("USERS")) do users[#users + 1] = line end
for line in io.lines(os.getenv("ITEMS")) do items[#items + 1] = line end
local batch = tonumber(os.getenv("BATCH") or "1")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local ev = {}
  for i = 1, batch do
    ev[i] = string.format('{"user":"%s","item":"%s","weight":1}', users[math.random(#users)], items[math.random(#items)])
  end
  return wrk.format("POST", "/v1/events", nil, "[" .. table.concat(ev, ",") .. "]")
end
