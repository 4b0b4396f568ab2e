-- SPDX-License-Identifier: MIT
-- A content header with a name of 300 characters is deleted like any
-- other: no Content-* header of the original may stay next to the
-- notification's own MIME headers.
dofile(srcdir .. "/common.lua")

local long = "Content-X" .. string.rep("y", 291)
local conn = open_conn()
local r = send_head(conn, "QLONG1", "ann@example.org", { "bob@example.com" },
	{ { "From", "ann@example.org" },
	  { "Subject", "[secure] long header name" },
	  { long, "original value" },
	  { "Content-Type", "text/plain" } })
check(r == SMFIR_CONTINUE, "eoh reply: got " .. reply_name(r) .. ", want continue")
check(mt.bodystring(conn, "secret body line\r\n") == nil, "body")
check(mt.eom(conn) == nil, "eom")
r = mt.getreply(conn)
check(r == SMFIR_CONTINUE, "eom reply: got " .. reply_name(r) .. ", want continue")
check(mt.eom_check(conn, MT_HDRDELETE, long), "the long-named header deleted")
check(mt.eom_check(conn, MT_HDRDELETE, "Content-Type"), "Content-Type deleted")
check(mt.eom_check(conn, MT_BODYCHANGE), "body replaced")
mt.disconnect(conn)
mt.echo("ok long_content_header")
