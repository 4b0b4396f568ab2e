-- SPDX-License-Identifier: MIT
-- Mail that a rule seals but that the limits refuse for good: more
-- recipients than max_recipients (refused at end of header), or a body
-- over max_message_size (refused at end of message).  Either way a
-- permanent reply with its own text, and the body is never replaced.
-- -D nrcpt=N: the number of envelope recipients.
dofile(srcdir .. "/common.lua")

local conn = open_conn()
local rcpts = {}
for i = 1, tonumber(nrcpt) do
	rcpts[i] = "r" .. i .. "@example.com"
end
local r = send_head(conn, "QREJ1", "ann@example.org", rcpts,
	{ { "From", "ann@example.org" }, { "Subject", "[secure] limits" } })
if r == SMFIR_CONTINUE then
	for i = 1, 8 do
		check(mt.bodystring(conn, string.rep("line of a long body " .. i .. "\r\n", 100)) == nil, "body")
	end
	check(mt.eom(conn) == nil, "eom")
	r = mt.getreply(conn)
	check(not mt.eom_check(conn, MT_BODYCHANGE), "body untouched")
end
check(r == SMFIR_REPLYCODE or r == SMFIR_REJECT,
	"reply: got " .. reply_name(r) .. ", want a reject")
mt.disconnect(conn)
mt.echo("ok reject")
