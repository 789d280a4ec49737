-- recs.lua — wrk script: GET /v1/users/{random user}/recommendations?k=10, users read from
-- the file named by $USERS (one id per line).
local users = {}
for line in io.lines(os.getenv("USERS")) do users[#users + 1] = line end
local k = os.getenv("K") or "10"
request = function()
  return wrk.format("GET", "/v1/users/" .. users[math.random(#users)] .. "/recommendations?k=" .. k)
end
