-- SPDX-License-Identifier: MIT
-- Mail that a rule seals, while sealing cannot work (the store is full
-- or unwritable, or there is no key): the milter answers 451 (a
-- tempfail with its own reply text) at end of header or end of
-- message, and never lets the original through.
dofile(srcdir .. "/common.lua")

local function is_tempfail(r)
	return r == SMFIR_TEMPFAIL or r == SMFIR_REPLYCODE
end

local conn = open_conn()
local r = send_head(conn, "QFAIL1", "ann@example.org", { "bob@example.com" },
	{ { "From", "ann@example.org" },
	  { "Subject", "[secure] must not leak" } })
if r == SMFIR_CONTINUE then
	-- A large body, so that a full store shows while chunks are stored.
	for i = 1, 64 do
		check(mt.bodystring(conn, string.rep("secret body line " .. i .. "\r\n", 1000)) == nil, "body")
	end
	check(mt.eom(conn) == nil, "eom")
	r = mt.getreply(conn)
	check(is_tempfail(r), "eom reply: got " .. reply_name(r) .. ", want tempfail")
	check(not mt.eom_check(conn, MT_BODYCHANGE), "body untouched on tempfail")
else
	check(is_tempfail(r), "eoh reply: got " .. reply_name(r) .. ", want tempfail")
end
mt.disconnect(conn)
mt.echo("ok tempfail")
