-- SPDX-License-Identifier: MIT
-- Mail that a rule seals: at end of message the content headers are
-- deleted, the subject tag removed, X-Sealpost-Id and the notification's
-- MIME headers added and the body replaced.  Prints "ID=..." for the
-- wrapper, which exports the sealed original and compares bytes.
dofile(srcdir .. "/common.lua")

local conn = open_conn()
local r = send_head(conn, "QSEAL1", "ann@example.org", { "bob@example.com" },
	{ { "From", "Ann <ann@example.org>" },
	  { "To", "bob@example.com" },
	  { "Subject", "[secure] quarterly numbers" },
	  { "MIME-Version", "1.0" },
	  { "Content-Type", "text/plain; charset=utf-8" },
	  { "Content-Transfer-Encoding", "8bit" } })
check(r == SMFIR_CONTINUE, "eoh reply: got " .. reply_name(r) .. ", want continue")
check(mt.bodystring(conn, "The secret line: revenue up 12%.\r\n") == nil, "body")
check(mt.bodystring(conn, "Second secret line.\r\n") == nil, "body 2")
check(mt.eom(conn) == nil, "eom")
r = mt.getreply(conn)
check(r == SMFIR_CONTINUE, "eom reply: got " .. reply_name(r) .. ", want continue")
check(mt.eom_check(conn, MT_HDRDELETE, "Content-Type"), "Content-Type deleted")
check(mt.eom_check(conn, MT_HDRDELETE, "Content-Transfer-Encoding"), "CTE deleted")
check(mt.eom_check(conn, MT_HDRDELETE, "MIME-Version"), "MIME-Version deleted")
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", " quarterly numbers"),
	"Subject changed to the untagged subject")
check(mt.eom_check(conn, MT_HDRADD, "X-Sealpost-Id"), "X-Sealpost-Id added")
check(mt.eom_check(conn, MT_HDRADD, "MIME-Version", " 1.0"), "MIME-Version added")
check(mt.eom_check(conn, MT_HDRADD, "Content-Type"), "Content-Type added")
check(mt.eom_check(conn, MT_BODYCHANGE), "body replaced")
local ct = mt.getheader(conn, "Content-Type", 0)
check(ct ~= nil and string.find(ct, "multipart/alternative", 1, true) ~= nil,
	"new Content-Type is multipart/alternative")
mt.echo("ID=" .. string.gsub(mt.getheader(conn, "X-Sealpost-Id", 0), "^ ", ""))
mt.disconnect(conn)
mt.echo("ok seal_replace")
