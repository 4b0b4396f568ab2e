# SPDX-License-Identifier: MIT
# Sourced by the portal tests: starts a local SMTP capture, the portal and
# a private nginx in front of it, all on 127.0.0.1 (ports 21000-21999), in
# a temporary folder (ports from SP_HTTP_PORT, SP_FCGI_PORT, SP_SMTP_PORT
# when set); portal_env_stop ends what was started, by pid.
#
#   . portal_env.sh; portal_env_start BUILD_DIR SOURCE_DIR; ...; portal_env_stop

SP_HTTP_PORT=${SP_HTTP_PORT:-21080}
SP_FCGI_PORT=${SP_FCGI_PORT:-21081}
SP_SMTP_PORT=${SP_SMTP_PORT:-21025}
SP_BASE="http://127.0.0.1:$SP_HTTP_PORT"

# sp_curl [curl args...]: curl with the "Origin: $SP_BASE" a browser sends
# with a form post, unless the arguments carry their own Origin header or
# SP_NO_ORIGIN is set (to test a request without one).
sp_curl() {
	local a origin=(-H "Origin: $SP_BASE")
	for a in "$@"; do
		case $a in [Oo]rigin:*) origin=() ;; esac
	done
	[ -z "${SP_NO_ORIGIN:-}" ] || origin=()
	curl "${origin[@]}" "$@"
}

# Results, counted in pass and fail: ok NAME, bad NAME WHY, and checks.
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1: $2"; }
check_eq() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi
}
check_has() { # NAME FILE TEXT
	if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1" "'$3' not in $2"; fi
}
check_lacks() { # NAME FILE TEXT
	if grep -qF -- "$3" "$2"; then bad "$1" "'$3' found in $2"; else ok "$1"; fi
}

# csrf_of NAME: the CSRF token in the page saved as $SP_T/NAME.b
csrf_of() { grep -o 'name="csrf" value="[^"]*"' "$SP_T/$1.b" | head -1 |
	sed 's/.*value="//; s/"$//'; }
# The mails the SMTP capture holds, and waiting for at least N (5 s at most).
mails() { ls "$SP_T/mail" | grep -c '\.env$'; }
wait_mail() { # N
	i=0
	while [ "$(mails)" -lt "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
last_code() { # ADDR: the passcode in the newest mail to ADDR
	f=$(grep -l "^to $1\$" "$SP_T"/mail/*.env | sort | tail -1)
	grep -o 'protected message: [0-9]\{8\}' "${f%.env}.eml" | grep -o '[0-9]*$'
}
msg() { # FILE FROM TO SUBJECT BODY: a plain text message in $SP_T/FILE
	printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n' \
	    "$2" "$3" "$4" "$RANDOM$RANDOM" "$5" >"$SP_T/$1"
}

portal_env_wait_port() { # PORT
	i=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		sleep 0.1
	done
}

portal_env_config() {
	cat >"$SP_T/sealpost.conf" <<CONF
portal_socket = inet:$SP_FCGI_PORT@127.0.0.1
portal_url = $SP_BASE
smtp_url = smtp://127.0.0.1:$SP_SMTP_PORT
mail_from = portal@sealpost.test
store_path = $SP_T/store
keys_dir = $SP_T/keys
templates_dir = $SP_SRC/templates
rules_file = $SP_T/rules
cookie_secure = no
portal_workers = 2
brand_name = Example Corp
brand_color = #2b5d3a
brand_footer = Example Corp, secure mail
brand_privacy_url = https://example.org/privacy
brand_logo_url = $SP_BASE/static/logo.svg
CONF
	: >"$SP_T/rules"
}

portal_env_nginx() {
	mkdir -p "$SP_T/nginx/logs" "$SP_T/nginx/tmp"
	chmod 0777 "$SP_T/nginx/tmp"
	cat >"$SP_T/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $SP_T/nginx/nginx.pid;
error_log $SP_T/nginx/logs/error.log warn;
events { worker_connections 128; }
http {
	include /etc/nginx/mime.types;
	access_log $SP_T/nginx/logs/access.log;
	client_body_temp_path $SP_T/nginx/tmp/body;
	fastcgi_temp_path $SP_T/nginx/tmp/fastcgi;
	proxy_temp_path $SP_T/nginx/tmp/proxy;
	scgi_temp_path $SP_T/nginx/tmp/scgi;
	uwsgi_temp_path $SP_T/nginx/tmp/uwsgi;
	upstream sealpost_portal { server 127.0.0.1:$SP_FCGI_PORT; }
	server {
		listen 127.0.0.1:$SP_HTTP_PORT;
		root $SP_SRC/templates;
		include $SP_SRC/packaging/nginx/sealpost-portal.inc;
	}
}
CONF
	nginx -p "$SP_T/nginx" -c "$SP_T/nginx/nginx.conf" -e "$SP_T/nginx/logs/error.log"
}

# Seals FILE from FROM to TO...; prints "ID REF".  Extra fixture options
# (-r RIGHTS, -e SECS, -R) may come first.
portal_env_seal() {
	"$SP_BUILD/tests/bin/seal_fixture" -c "$SP_T/sealpost.conf" "$@"
}

portal_env_start() { # BUILD SRC
	SP_BUILD=$(cd "$1" && pwd)
	SP_SRC=$(cd "$2" && pwd)
	SP_T=$(mktemp -d /tmp/sp-portal.XXXXXX)
	chmod 0755 "$SP_T"
	mkdir -p "$SP_T/keys" "$SP_T/mail"
	chmod 0700 "$SP_T/keys"
	portal_env_config
	python3 "$SP_SRC/tests/integration/smtp_capture.py" "$SP_SMTP_PORT" \
	    "$SP_T/mail" 2>"$SP_T/smtp.log" &
	SP_SMTP_PID=$!
	# The portal needs a key pair: the first sealed message makes one.
	printf 'From: a@b\r\nSubject: warm-up\r\n\r\nx\r\n' >"$SP_T/warmup.eml"
	portal_env_seal -f a@b.test -t c@d.test "$SP_T/warmup.eml" >/dev/null ||
		return 1
	"$SP_BUILD/bin/sealpost-portal" -f -c "$SP_T/sealpost.conf" \
	    2>"$SP_T/portal.log" &
	SP_PORTAL_PID=$!
	portal_env_nginx || return 1
	portal_env_wait_port "$SP_SMTP_PORT" && portal_env_wait_port \
	    "$SP_FCGI_PORT" && portal_env_wait_port "$SP_HTTP_PORT"
}

portal_env_stop() {
	[ -f "$SP_T/nginx/nginx.pid" ] && kill "$(cat "$SP_T/nginx/nginx.pid")" 2>/dev/null
	[ -n "${SP_PORTAL_PID:-}" ] && kill "$SP_PORTAL_PID" 2>/dev/null
	[ -n "${SP_SMTP_PID:-}" ] && kill "$SP_SMTP_PID" 2>/dev/null
	wait 2>/dev/null
	if [ "${SP_KEEP:-}" = "" ]; then
		rm -rf "$SP_T"
	else
		echo "kept $SP_T"
	fi
}
