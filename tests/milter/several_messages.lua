-- SPDX-License-Identifier: MIT
-- Several messages on one connection, sealed and not, with an aborted
-- one (RSET) in between: each is decided on its own.
dofile(srcdir .. "/common.lua")

local conn = open_conn()
local ids = {}
local plan = { "pass", "seal", "abort", "pass", "seal", "seal" }
for i, what in ipairs(plan) do
	local subj = (what == "pass") and "hello " .. i or "[secure] note " .. i
	local r = send_head(conn, "QMULTI" .. i, "ann@example.org",
		{ "bob@example.com", "carol@example.net" },
		{ { "From", "ann@example.org" }, { "Subject", subj } })
	if what == "pass" then
		check(r == SMFIR_ACCEPT, "msg " .. i .. ": got " .. reply_name(r) .. ", want accept")
	elseif what == "abort" then
		check(r == SMFIR_CONTINUE, "msg " .. i .. ": got " .. reply_name(r) .. ", want continue")
		check(mt.bodystring(conn, "half a body\r\n") == nil, "body")
		check(mt.abort(conn) == nil, "abort")
	else
		check(r == SMFIR_CONTINUE, "msg " .. i .. ": got " .. reply_name(r) .. ", want continue")
		check(mt.bodystring(conn, "body of message " .. i .. "\r\n") == nil, "body")
		check(mt.eom(conn) == nil, "eom")
		r = mt.getreply(conn)
		check(r == SMFIR_CONTINUE, "msg " .. i .. " eom: got " .. reply_name(r))
		check(mt.eom_check(conn, MT_BODYCHANGE), "msg " .. i .. " body replaced")
		local id = mt.getheader(conn, "X-Sealpost-Id", 0)
		check(id ~= nil, "msg " .. i .. " has an id")
		check(ids[id] == nil, "msg " .. i .. " id is new")
		ids[id] = true
		mt.echo("ID=" .. string.gsub(id, "^ ", ""))
	end
end
mt.disconnect(conn)
mt.echo("ok several_messages")
