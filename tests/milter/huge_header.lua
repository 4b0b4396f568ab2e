-- SPDX-License-Identifier: MIT
-- A header section over the milter's cap (4 MiB) while the rules look at
-- headers: the milter cannot decide or seal it, so it tempfails.
dofile(srcdir .. "/common.lua")

local conn = open_conn()
local headers = { { "From", "ann@example.org" }, { "Subject", "hello" } }
local filler = string.rep("x", 900)
for i = 1, 4800 do
	headers[#headers + 1] = { "X-Filler-" .. i, filler }
end
local r = send_head(conn, "QHUGE1", "ann@example.org", { "bob@example.com" },
	headers)
check(r == SMFIR_TEMPFAIL or r == SMFIR_REPLYCODE,
	"eoh reply: got " .. reply_name(r) .. ", want tempfail")
mt.disconnect(conn)
mt.echo("ok huge_header")
