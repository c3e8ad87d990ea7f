-- wrk: POST the JSON body in $WRK_BODY_FILE with the bearer token in $WRK_TOKEN, and count the
-- responses that are not 200 (wrk itself only reports non-2xx/3xx).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
end
local file = assert(io.open(os.getenv("WRK_BODY_FILE"), "rb"))
wrk.body = file:read("*a")
file:close()
