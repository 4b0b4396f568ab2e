-- SPDX-License-Identifier: MIT
-- Helpers shared by the miltertest scripts.  Each script is run by
-- run-miltertest.sh with -D socket=SPEC (the running milter's socket).
-- The milter negotiates SMFIP_HDR_LEADSPC (header values with their
-- leading white space, as Postfix sends them); miltertest then puts one
-- space before each value itself, so scripts give values without it, and
-- values the milter sets carry their leading space.

function check(cond, what)
	if not cond then
		error("FAIL: " .. what)
	end
end

function open_conn()
	local conn = mt.connect(socket, 20, 0.25)
	check(conn ~= nil, "connect to " .. socket)
	-- Offer every protocol step of milter version 6 (0x1FFFFF), header
	-- values with their leading space included, as Postfix does.
	check(mt.negotiate(conn, nil, nil, 0x1FFFFF) == nil, "negotiate")
	return conn
end

-- Sends the envelope and the headers of a message; returns the reply
-- at end of header.
function send_head(conn, qid, from, rcpts, headers)
	mt.macro(conn, SMFIC_MAIL, "i", qid)
	check(mt.mailfrom(conn, "<" .. from .. ">") == nil, "mailfrom")
	for _, r in ipairs(rcpts) do
		check(mt.rcptto(conn, "<" .. r .. ">") == nil, "rcptto " .. r)
	end
	for _, h in ipairs(headers) do
		check(mt.header(conn, h[1], h[2]) == nil, "header " .. h[1])
	end
	check(mt.eoh(conn) == nil, "eoh")
	return mt.getreply(conn)
end

function reply_name(r)
	local names = { [SMFIR_ACCEPT] = "accept",
		[SMFIR_CONTINUE] = "continue", [SMFIR_TEMPFAIL] = "tempfail",
		[SMFIR_REJECT] = "reject", [SMFIR_REPLYCODE] = "replycode" }
	return names[r] or tostring(r)
end
