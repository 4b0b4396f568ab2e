-- SPDX-License-Identifier: MIT
-- Mail that no rule seals is accepted at end of header: the milter
-- never asks for its body.
dofile(srcdir .. "/common.lua")

local conn = open_conn()
local r = send_head(conn, "QPASS1", "ann@example.org", { "bob@example.com" },
	{ { "From", "Ann <ann@example.org>" },
	  { "To", "bob@example.com" },
	  { "Subject", "lunch on friday" },
	  { "Content-Type", "text/plain" } })
check(r == SMFIR_ACCEPT, "eoh reply: got " .. reply_name(r) .. ", want accept")
mt.disconnect(conn)
mt.echo("ok early_accept")
